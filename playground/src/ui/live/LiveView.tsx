/**
 * Live mode's page: the simulator's views (ring, nodes, client, logs, feed, node details) over
 * snapshots built from the real nodes. What only the simulator can do (time travel, speed,
 * stepping, moving messages, message loss, guided scenarios) is left out, and the bar under the
 * ring says why.
 */
import { ClusterRing } from '../cluster/ClusterRing';
import { usePlayground } from '../context';
import { ClientPanel } from '../panels/ClientPanel';
import { EventFeed } from '../panels/EventFeed';
import { Inspector } from '../panels/Inspector';
import { LogGrid } from '../panels/LogGrid';
import { NodesPanel } from '../panels/NodesPanel';
import { LiveBar } from './LiveBar';
import { LiveChecklist } from './LiveChecklist';
import { LiveNetworkPanel } from './LiveNetworkPanel';
import { LiveUnavailable } from './LiveUnavailable';

export function LiveView() {
  const started = usePlayground((s) => s.sim?.live !== undefined);
  const nodeCount = usePlayground((s) => s.sim?.nodes.length ?? 0);
  if (!started) return <main className="live-placeholder" data-testid="live-mode" data-state="connecting"><p>Connecting to the live cluster…</p></main>;
  if (nodeCount === 0) return <LiveUnavailable />;
  return (
    <main className="sim live" data-testid="live-mode" data-state="connected">
      <section className="stage" aria-label="Cluster">
        <ClusterRing messages={false} />
        <LiveBar />
      </section>
      <aside className="side">
        <NodesPanel />
        <ClientPanel />
        <LiveNetworkPanel />
        <Inspector />
      </aside>
      <section className="logs" aria-label="Logs">
        <LogGrid />
      </section>
      <section className="feed-area" aria-label="Events">
        <EventFeed />
      </section>
      <section className="scenario-area" aria-label="Things to try">
        <LiveChecklist />
      </section>
    </main>
  );
}
