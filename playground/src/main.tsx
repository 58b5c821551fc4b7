/**
 * Entry point: reads the URL, starts the engine of the mode it asks for (the simulation in a Web
 * Worker, or the live session against the cluster that served the page), connects it to the
 * store and renders the app. Nothing else in the playground touches the URL, the worker or the
 * network setup.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { realScheduler } from './engine/scheduler';
import { WorkerTransport } from './engine/transport';
import { lazyLiveSession } from './live/lazy';
import { createActions } from './store/actions';
import { ModeSwitch } from './store/modes';
import { createPlaygroundStore, patchUi } from './store/store';
import { parseUrl, runQuery, setupOf } from './store/url';
import { App } from './ui/App';
import { PlaygroundContext } from './ui/context';
import './ui/styles.css';

const params = parseUrl(window.location.search, Math.floor(Math.random() * 100_000));
const store = createPlaygroundStore({ mode: params.mode, seed: params.seed, nodes: params.nodes });
if (params.openError) patchUi(store, { notice: params.openError });
const modes = new ModeSwitch(store, {
  sim: () => new WorkerTransport(),
  live: () => lazyLiveSession({
    origin: window.location.origin,
    fetch: (input, init) => fetch(input, init),
    scheduler: realScheduler,
    wallNow: () => Date.now(),
  }),
}, {
  setup: setupOf(params),
  speed: params.speed,
  playing: !params.paused && !params.open,
  ...(params.open ? { open: params.open } : {}),
});
const actions = createActions({ store, transport: modes, switchMode: (mode) => modes.setMode(mode) });
modes.start();

// Keep the address bar starting what is on screen: the simulator's setup (seed, node count, and
// rules, load and loss when not the defaults), or `mode=live`. A shared run stays in the address
// until the setup changes. Other parameters (speed) stay as the user typed them.
const sharedKeys = ['script', 't', 'scenario', 'unsafe', 'off', 'load', 'loss'];
let shown = params.open ? runQuery(setupOf(params)) : '';
store.subscribe((s) => {
  const live = s.mode === 'live';
  if (!live && (!s.sim || s.sim.live)) return;
  const key = live ? 'mode=live' : runQuery(s.sim!.setup, s.mode);
  if (key === shown) return;
  shown = key;
  const q = new URLSearchParams(window.location.search);
  if (live) q.set('mode', 'live');
  else {
    for (const k of sharedKeys) q.delete(k);
    for (const [k, v] of new URLSearchParams(key)) q.set(k, v);
    q.delete('mode');
  }
  window.history.replaceState(null, '', `${window.location.pathname}?${q.toString()}`);
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <PlaygroundContext value={{ store, actions }}>
      <App />
    </PlaygroundContext>
  </StrictMode>,
);
