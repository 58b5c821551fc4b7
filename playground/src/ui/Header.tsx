/** Title, simulator/live toggle, run setup (seed, cluster size, reset, copy link), the safety badges and the keys. */
import { selectIsLive } from '../store/selectors';
import { nodesMax, nodesMin } from '../store/url';
import { Badges } from './Badges';
import { useActions, usePlayground } from './context';
import { copyShareLink } from './share';

export function Header() {
  const live = usePlayground((s) => s.mode === 'live');
  const a = useActions();
  return (
    <header className="header">
      <div className="brand">
        <h1>Raft playground</h1>
        <p className="tagline">
          {live
            ? 'A real cluster: Node.js processes running the same Raft core, on this machine.'
            : 'The project\u2019s real Raft core, in your browser. Break it and see why it holds.'}
        </p>
      </div>
      <ModeToggle />
      {live ? <LiveOrigin /> : <RunSetup />}
      <Badges />
      <button type="button" className="help-button" data-testid="help" onClick={() => a.toggleHelp()} aria-label="Keyboard shortcuts (?)" title="Keyboard shortcuts (?)">?</button>
      <Notice />
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
  const a = useActions();
  return (
    <form className="run-setup" onSubmit={(e) => { e.preventDefault(); a.reset(); }}>
      <label>
        Seed
        <input data-testid="seed" inputMode="numeric" value={draftSeed} size={6} onChange={(e) => a.setDraftSeed(e.target.value)} />
      </label>
      <label>
        Nodes
        {/* Not "node-count": the node-<id> test ids belong to the nodes themselves. */}
        <select data-testid="cluster-size" value={draftNodes} onChange={(e) => a.setDraftNodes(Number(e.target.value))}>
          {Array.from({ length: nodesMax - nodesMin + 1 }, (_, i) => nodesMin + i).map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </label>
      <button type="submit" data-testid="reset" title="Start a fresh cluster with this seed and node count (N)">Reset</button>
      <button type="button" data-testid="copy-link" onClick={() => void copyShareLink(a)} title="Copy a link that replays this run up to this moment (L)">Copy link</button>
    </form>
  );
}

/** One line of feedback for the last thing the learner did (a copied link, a file that could not be read). */
function Notice() {
  const notice = usePlayground((s) => s.ui.notice);
  const { notify } = useActions();
  if (!notice) return null;
  const url = /https?:\/\/\S+/.exec(notice)?.[0] ?? null;
  return (
    <output className="notice" data-testid="notice">
      {url ? notice.replace(url, '') : notice}
      {url && <a href={url} data-testid="share-link" className="share-link">{url.length > 80 ? `${url.slice(0, 77)}…` : url}</a>}
      <button type="button" className="quiet" onClick={() => notify(null)} aria-label="Dismiss">✕</button>
    </output>
  );
}
