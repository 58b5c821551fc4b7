/** The store and the actions, handed to components through React context (no module singletons). */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { Actions } from '../store/actions';
import type { PlaygroundState, PlaygroundStore } from '../store/store';

export interface PlaygroundContextValue {
  store: PlaygroundStore;
  actions: Actions;
}

export const PlaygroundContext = createContext<PlaygroundContextValue | null>(null);

function usePlaygroundContext(): PlaygroundContextValue {
  const value = useContext(PlaygroundContext);
  if (!value) throw new Error('PlaygroundContext is missing: render inside <PlaygroundContext value={...}>');
  return value;
}

/** Subscribes to one slice of the state; the component re-renders only when that slice changes. */
export function usePlayground<T>(selector: (s: PlaygroundState) => T): T {
  return useStore(usePlaygroundContext().store, selector);
}

export function useActions(): Actions {
  return usePlaygroundContext().actions;
}

/** The store itself, for the few hooks that read it outside rendering (the keyboard). */
export function useStoreApi(): PlaygroundStore {
  return usePlaygroundContext().store;
}
