/**
 * The playground's state: the latest engine snapshot (plain data, never edited here) and the
 * UI's own choices. A vanilla zustand store: it works without React (tests drive it directly),
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
  clientTarget: ClientTarget;
  clientKey: string;
  clientValue: string;
  staleRead: boolean;
  /** Toggles the page owns (and tells the engine about), so they answer a click at once. */
  unsafe: boolean;
  verboseFeed: boolean;
  /** The seed and node count typed in the header, applied on reset. */
  draftSeed: string;
  draftNodes: number;
  notice: string | null;
}

export interface PlaygroundState {
  mode: 'sim' | 'live';
  sim: SimSnapshot | null;
  ui: UiState;
}

export type PlaygroundStore = StoreApi<PlaygroundState>;

export function initialUi(seed: number, nodes: number, unsafe = false): UiState {
  return {
    selectedNode: null,
    inspected: null,
    selectedLink: null,
    clientTarget: 'leader',
    clientKey: 'x',
    clientValue: '1',
    staleRead: false,
    unsafe,
    verboseFeed: false,
    draftSeed: String(seed),
    draftNodes: nodes,
    notice: null,
  };
}

export function createPlaygroundStore(initial: { mode: 'sim' | 'live'; seed: number; nodes: number; unsafe?: boolean }): PlaygroundStore {
  return createStore<PlaygroundState>()(() => ({ mode: initial.mode, sim: null, ui: initialUi(initial.seed, initial.nodes, initial.unsafe) }));
}

/** Takes a snapshot from the engine, sharing every unchanged part with the previous one. */
export function receiveSnapshot(store: PlaygroundStore, snapshot: SimSnapshot): void {
  const prev = store.getState().sim;
  store.setState({ sim: prev ? replaceEqualDeep(prev, snapshot) : snapshot });
}

export function patchUi(store: PlaygroundStore, patch: Partial<UiState>): void {
  store.setState((s) => ({ ui: { ...s.ui, ...patch } }));
}
