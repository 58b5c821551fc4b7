/// <reference lib="webworker" />
/**
 * The Web Worker that owns the simulation: the page's main thread only renders snapshots, so a busy
 * cluster (5 nodes, client load, 100x speed, time-travel checkpoints, the linearizability check)
 * never makes the page stutter.
 */
import { Engine } from './engine';
import type { EngineOptions } from './engine';
import type { EngineCommand } from './protocol';
import { realScheduler } from './scheduler';
import type { ToWorker } from './transport';

declare const self: DedicatedWorkerGlobalScope;

let engine: Engine | null = null;

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'init') {
    engine?.dispose();
    engine = new Engine(message.options as EngineOptions, realScheduler, (snapshot) => self.postMessage(snapshot));
    return;
  }
  if (message.type === 'ack') return engine?.ack();
  engine?.handle(message.command as EngineCommand);
};
