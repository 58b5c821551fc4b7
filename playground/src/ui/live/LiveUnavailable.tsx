/** Live mode without a cluster: the page was not served by `npm start`, or the supervisor stopped. It keeps asking. */
import { usePlayground } from '../context';

export function LiveUnavailable() {
  const info = usePlayground((s) => s.sim?.live);
  if (!info) return null;
  const waiting = info.supervisor === 'connecting';
  return (
    <main className="live-placeholder" data-testid="live-mode" data-state={waiting ? 'connecting' : 'unavailable'}>
      <h2>{waiting ? 'Looking for the live cluster…' : 'No live cluster here'}</h2>
      {!waiting && (
        <>
          <p>
            Live mode shows the real cluster that served this page: three Node.js processes running the same Raft core,
            started by <code>npm start</code>. Run it and open the URL it prints (this page asks{' '}
            <code>{info.origin}/api/cluster</code> every second and appears as soon as the cluster answers).
          </p>
          {info.error && <p className="quiet" data-testid="live-error">{info.error}</p>}
          <p>Meanwhile, the simulator runs the same core in your browser: switch back with “Simulator”.</p>
        </>
      )}
    </main>
  );
}
