/** Title, simulator/live toggle, run setup (seed, nodes, reset, copy link) and the safety badges. */
import { selectIsLive } from '../store/selectors';
import { useActions, usePlayground } from './context';
import { Badges } from './Badges';
import { nodesMax, nodesMin } from '../store/url';

export function Header() {
  const live = usePlayground((s) => s.mode === 'live');
  return (
    <header className="header">
      <div className="brand">
        <h1>Raft playground</h1>
        <p className="tagline">
          {live
            ? 'A real cluster: Node.js processes running the same Raft core, on this machine. Break it for real.'
            : <>The project&apos;s real Raft core, running in your browser. Break it and see why it holds.</>}
        </p>
      </div>
      <ModeToggle />
      {live ? <LiveOrigin /> : <RunSetup />}
      <Badges />
    </header>
  );
}

function ModeToggle() {
  const mode = usePlayground((s) => s.mode);
  const { setMode } = useActions();
  return (
    <div className="mode-toggle" role="group" aria-label="Mode">
      <button type="button" data-testid="mode-sim" aria-pressed={mode === 'sim'} onClick={() => setMode('sim')}>Simulator</button>
      <button type="button" data-testid="mode-live" aria-pressed={mode === 'live'} onClick={() => setMode('live')}>Live cluster</button>
    </div>
  );
}

/** Live mode: which cluster the page shows (the supervisor that served it). */
function LiveOrigin() {
  const origin = usePlayground((s) => s.sim?.live?.origin ?? null);
  const isLive = usePlayground(selectIsLive);
  if (!isLive || !origin) return null;
  return <p className="live-origin quiet">cluster of <code>{origin}</code></p>;
}

function RunSetup() {
  const draftSeed = usePlayground((s) => s.ui.draftSeed);
  const draftNodes = usePlayground((s) => s.ui.draftNodes);
  const notice = usePlayground((s) => s.ui.notice);
  const a = useActions();
  const copy = async () => {
    const link = a.shareLink(window.location.origin, window.location.pathname);
    try {
      await navigator.clipboard.writeText(link);
      a.notify('Link copied: it replays this cluster from the start.');
    } catch {
      a.notify(link);
    }
  };
  return (
    <form className="run-setup" onSubmit={(e) => { e.preventDefault(); a.reset(); }}>
      <label>
        Seed
        <input data-testid="seed" inputMode="numeric" value={draftSeed} size={6} onChange={(e) => a.setDraftSeed(e.target.value)} />
      </label>
      <label>
        Nodes
        <select data-testid="node-count" value={draftNodes} onChange={(e) => a.setDraftNodes(Number(e.target.value))}>
          {Array.from({ length: nodesMax - nodesMin + 1 }, (_, i) => nodesMin + i).map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </label>
      <button type="submit" data-testid="reset" title="Start a fresh cluster with this seed and node count">Reset</button>
      <button type="button" data-testid="copy-link" onClick={copy} title="Copy a link that reproduces this run">Copy link</button>
      {notice && <output className="notice" data-testid="notice">{notice}</output>}
    </form>
  );
}
