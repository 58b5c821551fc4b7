/** The page layout. Each region is its own small component reading its own slice of the store. */
import { ClusterRing } from './cluster/ClusterRing';
import { Header } from './Header';
import { LiveView } from './live/LiveView';
import { ClientPanel } from './panels/ClientPanel';
import { EventFeed } from './panels/EventFeed';
import { FaultPanel } from './panels/FaultPanel';
import { Inspector } from './panels/Inspector';
import { LogGrid } from './panels/LogGrid';
import { NodesPanel } from './panels/NodesPanel';
import { ScenarioPanel } from './panels/ScenarioPanel';
import { TimeControls } from './panels/TimeControls';
import { useActions, usePlayground } from './context';
import { useKeyboard } from './useKeyboard';

export function App() {
  const mode = usePlayground((s) => s.mode);
  const ready = usePlayground((s) => s.sim !== null);
  return (
    <div className="app">
      <Header />
      {mode === 'live' ? <LiveView /> : ready ? <SimulatorView /> : <p className="loading">Starting the simulated cluster…</p>}
    </div>
  );
}

function SimulatorView() {
  useKeyboard(useActions());
  return (
    <main className="sim">
      <section className="stage" aria-label="Cluster">
        <ClusterRing />
        <TimeControls />
      </section>
      <aside className="side">
        <NodesPanel />
        <ClientPanel />
        <FaultPanel />
        <Inspector />
      </aside>
      <section className="logs" aria-label="Logs">
        <LogGrid />
      </section>
      <section className="feed-area" aria-label="Events">
        <EventFeed />
      </section>
      <section className="scenario-area" aria-label="Guided scenarios">
        <ScenarioPanel />
      </section>
    </main>
  );
}
