/**
 * The playground's state: the latest snapshot (plain data, never edited here) and the UI's own
 * choices. In simulator mode the snapshot comes from the engine; in live mode from the real
 * nodes (src/live/), in the same shape. A vanilla zustand store: it works without React (tests drive it directly),
 * and components subscribe to it through narrow selectors.
 */
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { ClientTarget, MessageView, SimSnapshot } from '../engine/protocol';
import { replaceEqualDeep } from './structural';

export interface UiState {
  selectedNode: string | null;
  /** The message being inspected (kept after it is delivered, so the inspector can say so). */
  inspected: MessageView | null;
  /** The link whose menu is open, as [a, b]. */
  selectedLink: [string, string] | null;
  clientName: string;
  clientTarget: ClientTarget;
  clientKey: string;
  clientValue: string;
  staleRead: boolean;
  /** The client follows 409 hints and retries on failures. */
  clientRetry: boolean;
  verboseFeed: boolean;
  /** The seed and node count typed in the header, applied on reset. */
  draftSeed: string;
  draftNodes: number;
  /** Partition by sides: each node's side ('A' or 'B'), applied in one step. */
  sides: Record<string, 'A' | 'B'>;
  /** The keyboard overlay is open. */
  helpOpen: boolean;
  /** The pseudocode view's current line (a new selection starts at 0). */
  pseudocodeLine: number;
  notice: string | null;
}

export type Mode = 'sim' | 'live';

export interface PlaygroundState {
  mode: Mode;
  /**
   * The snapshot on screen: the simulator's, or in live mode the one built from the real nodes
   * (same type, so the same views draw both; `sim.live` is set in live mode).
   */
  sim: SimSnapshot | null;
  /** The other mode's latest snapshot, kept off screen (the simulator's run survives a look at the live cluster). */
  parked: { mode: Mode; snapshot: SimSnapshot } | null;
  ui: UiState;
}

export type PlaygroundStore = StoreApi<PlaygroundState>;

export function initialUi(seed: number, nodes: number): UiState {
  return {
    selectedNode: null,
    inspected: null,
    selectedLink: null,
    clientName: 'c1',
    clientTarget: 'leader',
    clientKey: 'x',
    clientValue: '1',
    staleRead: false,
    clientRetry: true,
    verboseFeed: false,
    draftSeed: String(seed),
    draftNodes: nodes,
    sides: {},
    helpOpen: false,
    pseudocodeLine: 0,
    notice: null,
  };
}

export function createPlaygroundStore(initial: { mode: Mode; seed: number; nodes: number }): PlaygroundStore {
  return createStore<PlaygroundState>()(() => ({ mode: initial.mode, sim: null, parked: null, ui: initialUi(initial.seed, initial.nodes) }));
}

/**
 * Takes a snapshot from the engine of `source` (the simulator unless said), sharing every
 * unchanged part with the previous one. A snapshot of the mode not on screen is parked.
 */
export function receiveSnapshot(store: PlaygroundStore, snapshot: SimSnapshot, source: Mode = 'sim'): void {
  const { mode, sim: prev } = store.getState();
  if (source !== mode) {
    store.setState({ parked: { mode: source, snapshot } });
    return;
  }
  store.setState({ sim: prev ? replaceEqualDeep(prev, snapshot) : snapshot });
}

/** Puts `mode` on screen: its parked snapshot if there is one (else nothing until its engine posts), and parks the other. */
export function showMode(store: PlaygroundStore, mode: Mode): void {
  const { mode: was, sim, parked } = store.getState();
  if (was === mode) return;
  store.setState({
    mode,
    sim: parked?.mode === mode ? parked.snapshot : null,
    parked: sim ? { mode: was, snapshot: sim } : null,
    ui: { ...store.getState().ui, selectedNode: null, inspected: null, selectedLink: null, notice: null, helpOpen: false },
  });
}

/** Forgets the parked snapshot of `mode` (its engine stopped: what it showed is stale). */
export function dropParked(store: PlaygroundStore, mode: Mode): void {
  if (store.getState().parked?.mode === mode) store.setState({ parked: null });
}

export function patchUi(store: PlaygroundStore, patch: Partial<UiState>): void {
  store.setState((s) => ({ ui: { ...s.ui, ...patch } }));
}
