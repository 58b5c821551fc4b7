/**
 * The page: one layout for the simulator and for live mode. Each region is its own small
 * component reading its own slice of the store; what only the simulator has (time controls,
 * protocol rules, the safety panel, challenges, guided scenarios) is swapped for live mode's
 * counterpart or left out, in this one place.
 */
import { useCallback } from 'react';
import { selectIsLive } from '../store/selectors';
import { ClusterRing } from './cluster/ClusterRing';
import { useActions, usePlayground, useStoreApi } from './context';
import { Header } from './Header';
import { KeyboardHelp } from './KeyboardHelp';
import { BugZooPanel } from './lab/BugZooPanel';
import { Challenges } from './lab/Challenges';
import { SafetyPanel } from './lab/SafetyPanel';
import { ScenarioFiles } from './lab/ScenarioFiles';
import { Glossary } from './learn/Glossary';
import { Narration } from './learn/Narration';
import { StartHere } from './learn/StartHere';
import { LiveBar } from './live/LiveBar';
import { LiveChecklist } from './live/LiveChecklist';
import { LiveMembersPanel } from './live/LiveMembersPanel';
import { LiveNetworkPanel } from './live/LiveNetworkPanel';
import { LiveUnavailable } from './live/LiveUnavailable';
import { ClientPanel } from './panels/ClientPanel';
import { EventFeed } from './panels/EventFeed';
import { Inspector } from './panels/Inspector';
import { LogGrid } from './panels/LogGrid';
import { NetworkPanel } from './panels/NetworkPanel';
import { NodesPanel } from './panels/NodesPanel';
import { ProtocolPanel } from './panels/ProtocolPanel';
import { ScenarioPanel } from './panels/ScenarioPanel';
import { TimeControls } from './panels/TimeControls';
import { copyShareLink } from './share';
import { useKeyboard } from './useKeyboard';

export function App() {
  const mode = usePlayground((s) => s.mode);
  const ready = usePlayground((s) => s.sim !== null);
  const live = usePlayground(selectIsLive);
  const liveNodes = usePlayground((s) => s.sim?.nodes.length ?? 0);
  const actions = useActions();
  const copy = useCallback(() => void copyShareLink(actions), [actions]);
  useKeyboard(useStoreApi(), actions, copy);
  let body;
  if (mode === 'live' && !live) body = <main className="live-placeholder" data-testid="live-mode" data-state="connecting"><p>Connecting to the live cluster…</p></main>;
  else if (mode === 'live' && liveNodes === 0) body = <LiveUnavailable />;
  else if (!ready) body = <p className="loading">Starting the simulated cluster…</p>;
  else body = <Layout live={live} />;
  return (
    <div className="app">
      <Header />
      {body}
      <KeyboardHelp />
    </div>
  );
}

function Layout({ live }: { live: boolean }) {
  return (
    <main className={`layout ${live ? 'live' : 'sim'}`} {...(live ? { 'data-testid': 'live-mode', 'data-state': 'connected' } : {})}>
      <section className="stage" aria-label="Cluster">
        <ClusterRing messages={!live} membership={!live} />
        {live ? <LiveBar /> : <TimeControls />}
      </section>
      <section className="story" aria-label="What is happening">
        {!live && <StartHere />}
        {!live && <Narration />}
        <EventFeed />
      </section>
      <aside className="side">
        <NodesPanel />
        <ClientPanel />
        {live ? <LiveNetworkPanel /> : <NetworkPanel />}
        {live && <LiveMembersPanel />}
        {!live && <ProtocolPanel />}
        {!live && <BugZooPanel />}
        <Inspector />
      </aside>
      <section className="logs" aria-label="Logs">
        <LogGrid />
      </section>
      {!live && (
        <section className="lab" aria-label="Safety and challenges">
          <SafetyPanel />
          <Challenges />
          <ScenarioFiles />
        </section>
      )}
      <section className="scenario-area" aria-label={live ? 'Things to try' : 'Guided scenarios'}>
        {live ? <LiveChecklist /> : <ScenarioPanel />}
        <Glossary />
      </section>
    </main>
  );
}
