/**
 * Entry point: reads the URL, starts the simulation engine in a Web Worker, connects it to the
 * store and renders the app. Nothing else in the playground touches the URL or the worker.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { WorkerTransport } from './engine/transport';
import { createActions } from './store/actions';
import { createPlaygroundStore, receiveSnapshot } from './store/store';
import { parseUrl, runQuery } from './store/url';
import { App } from './ui/App';
import { PlaygroundContext } from './ui/context';
import './ui/styles.css';

const params = parseUrl(window.location.search, Math.floor(Math.random() * 100_000));
const store = createPlaygroundStore({ mode: params.mode, seed: params.seed, nodes: params.nodes, unsafe: params.unsafe });
const transport = new WorkerTransport();
const actions = createActions({ store, transport });

transport.start(
  {
    setup: { seed: params.seed, nodeCount: params.nodes, unsafeCommitOldTerm: params.unsafe },
    speed: params.speed,
    playing: !params.paused,
    loadOpsPerSec: params.load,
  },
  (snapshot) => receiveSnapshot(store, snapshot),
);

// Keep the address bar reproducing the run on screen (seed and node count), so a reload or a
// copied URL shows the same cluster. Other parameters (speed, load) stay as the user typed them.
let shownSetup = '';
store.subscribe((s) => {
  if (!s.sim) return;
  const key = runQuery(s.sim.setup, s.mode);
  if (key === shownSetup) return;
  shownSetup = key;
  const q = new URLSearchParams(window.location.search);
  for (const [k, v] of new URLSearchParams(key)) q.set(k, v);
  if (!s.sim.setup.unsafeCommitOldTerm) q.delete('unsafe');
  if (s.mode !== 'live') q.delete('mode');
  window.history.replaceState(null, '', `${window.location.pathname}?${q.toString()}`);
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <PlaygroundContext value={{ store, actions }}>
      <App />
    </PlaygroundContext>
  </StrictMode>,
);
