/**
 * Under the ring in live mode, where the simulator has its clock: how the page hears each node,
 * and why there is no play, step, speed or time travel here.
 */
import { useShallow } from 'zustand/shallow';
import { usePlayground } from '../context';

export function LiveBar() {
  const nodes = usePlayground(useShallow((s) => (s.sim?.nodes ?? []).map((n) => `${n.id}|${n.live?.process ?? 'unknown'}|${n.live?.pid ?? ''}|${n.live?.connected ? 1 : 0}`)));
  const supervisor = usePlayground((s) => s.sim?.live?.supervisor ?? 'connecting');
  const error = usePlayground((s) => s.sim?.live?.error ?? null);
  return (
    <div className="live-bar" data-testid="live-bar" data-supervisor={supervisor}>
      <ul className="streams" aria-label="Connections to the nodes">
        {nodes.map((key) => {
          const [id, process, pid, connected] = key.split('|');
          return (
            <li key={id} className={connected === '1' ? 'on' : 'off'} data-testid={`stream-${id}`} data-connected={connected === '1'}>
              <strong>{id}</strong> {process}{pid ? ` · pid ${pid}` : ''} · {connected === '1' ? 'streaming' : 'not heard'}
            </li>
          );
        })}
      </ul>
      {supervisor === 'unreachable' && <p className="bad-note">Supervisor unreachable: {error}. Showing the last known state; retrying every second.</p>}
      <p className="quiet">
        Real time: each node streams its state (at most every 100 ms) and its Raft events over socket.io. There is no play,
        step, speed or time travel here, and messages are not drawn one by one: real RPCs are not recorded. The simulator has all of that.
      </p>
    </div>
  );
}
