/**
 * Everything the user can do, as plain functions over the store and the engine transport.
 * Commands are data (EngineCommand); the engine answers with a new snapshot. In live mode the
 * engine is the live session, which takes the same commands and acts on real processes.
 */
import type { ClientOp, EngineCommand, MessageView, UserAction } from '../engine/protocol';
import type { Transport } from '../engine/transport';
import { leaderOf } from './selectors';
import type { Mode, PlaygroundStore } from './store';
import { patchUi } from './store';
import { clampNodes, runQuery } from './url';

export interface Playground {
  store: PlaygroundStore;
  /** The engine of the mode on screen (ModeSwitch in the page). */
  transport: Pick<Transport, 'send'>;
  /** Switches the engine behind the page; without it the mode is only recorded. */
  switchMode?: (mode: Mode) => void;
}

export type Actions = ReturnType<typeof createActions>;

export function createActions({ store, transport, switchMode }: Playground) {
  const send = (command: EngineCommand) => transport.send(command);
  const act = (action: UserAction) => send({ type: 'act', action });
  const ids = () => store.getState().sim?.nodes.map((n) => n.id) ?? [];

  return {
    togglePlay() {
      send({ type: store.getState().sim?.clock.playing ? 'pause' : 'play' });
    },
    play: () => send({ type: 'play' }),
    pause: () => send({ type: 'pause' }),
    step: () => send({ type: 'step' }),
    setSpeed: (speed: number) => send({ type: 'setSpeed', speed }),
    seek: (at: number) => send({ type: 'seek', at }),

    /** Starts over with the seed and node count from the header. */
    reset() {
      const { ui, sim } = store.getState();
      const parsed = Number(ui.draftSeed);
      const seed = Number.isSafeInteger(parsed) && parsed >= 0 ? parsed : (sim?.setup.seed ?? 1);
      patchUi(store, { draftSeed: String(seed), inspected: null, selectedLink: null, notice: null });
      send({ type: 'reset', setup: { seed, nodeCount: clampNodes(ui.draftNodes), unsafeCommitOldTerm: ui.unsafe } });
    },
    setDraftSeed: (draftSeed: string) => patchUi(store, { draftSeed }),
    setDraftNodes: (draftNodes: number) => patchUi(store, { draftNodes: clampNodes(draftNodes) }),
    /** Turns the unsafe commit rule on or off; it takes effect on a fresh run (started now). */
    setUnsafe(unsafe: boolean) {
      patchUi(store, { unsafe });
      const sim = store.getState().sim;
      if (sim) send({ type: 'reset', setup: { ...sim.setup, unsafeCommitOldTerm: unsafe } });
    },

    crash: (node: string) => act({ type: 'crash', node }),
    restart: (node: string) => act({ type: 'restart', node }),
    isolate: (node: string) => act({ type: 'isolate', node }),
    /** Heals every link to and from one node. */
    reconnect(node: string) {
      for (const other of ids()) if (other !== node) act({ type: 'heal', from: node, to: other, bothWays: true });
    },
    cut: (from: string, to: string, bothWays: boolean) => act({ type: 'cut', from, to, bothWays }),
    heal: (from: string, to: string, bothWays: boolean) => act({ type: 'heal', from, to, bothWays }),
    healAll: () => act({ type: 'healAll' }),
    setLossRate: (lossRate: number) => act({ type: 'setNetwork', network: { lossRate: Math.min(1, Math.max(0, lossRate)) } }),
    campaign: (node: string) => act({ type: 'campaign', node }),
    dropMessage(id: number) {
      act({ type: 'dropMessage', id });
    },

    selectNode: (id: string | null) => patchUi(store, { selectedNode: id }),
    inspectMessage: (message: MessageView | null) => patchUi(store, { inspected: message, selectedLink: null }),
    selectLink: (link: [string, string] | null) => patchUi(store, { selectedLink: link, inspected: null }),

    setClientField(field: 'clientKey' | 'clientValue', value: string) {
      patchUi(store, { [field]: value });
    },
    setClientTarget: (target: string) => patchUi(store, { clientTarget: target }),
    setStaleRead: (staleRead: boolean) => patchUi(store, { staleRead }),
    sendClient(op: ClientOp) {
      const { ui } = store.getState();
      send({ type: 'client', op, target: ui.clientTarget, key: ui.clientKey, value: ui.clientValue, stale: ui.staleRead });
    },
    setLoad: (opsPerSec: number) => send({ type: 'setLoad', opsPerSec }),
    setVerboseFeed(verboseFeed: boolean) {
      patchUi(store, { verboseFeed });
      send({ type: 'setVerboseFeed', verbose: verboseFeed });
    },

    runScenario: (id: string) => send({ type: 'runScenario', id }),
    stopScenario: () => send({ type: 'stopScenario' }),

    setMode(mode: Mode) {
      if (switchMode) switchMode(mode);
      else store.setState({ mode });
    },

    /** The link that reproduces this run (seed and node count), for sharing. */
    shareLink(origin: string, path: string): string {
      const sim = store.getState().sim;
      if (!sim) return `${origin}${path}`;
      return `${origin}${path}${runQuery(sim.setup, store.getState().mode)}`;
    },
    notify: (notice: string | null) => patchUi(store, { notice }),

    /** The leader right now, for views that act on it. */
    leaderId: () => leaderOf(store.getState().sim?.nodes ?? [])?.id ?? null,
  };
}
