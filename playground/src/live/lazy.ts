/**
 * Live mode's engine, loaded when live mode is first shown: socket.io-client and the live session
 * stay out of the page's first download for the simulator's users. Commands sent while it loads
 * are kept and passed on in order.
 */
import type { EngineCommand, SimSnapshot } from '../engine/protocol';
import type { EngineOptions } from '../engine/engine';
import type { Transport } from '../engine/transport';
import type { LiveDeps } from './session';

export function lazyLiveSession(deps: Omit<LiveDeps, 'connect'>): Transport {
  let session: Transport | null = null;
  let stopped = false;
  const waiting: EngineCommand[] = [];
  return {
    start(options: EngineOptions, onSnapshot: (snapshot: SimSnapshot) => void) {
      void Promise.all([import('./session'), import('./socket')]).then(([{ LiveSession }, { connectSocketIo }]) => {
        if (stopped) return;
        session = new LiveSession({ ...deps, connect: connectSocketIo });
        session.start(options, onSnapshot);
        for (const command of waiting.splice(0)) session.send(command);
      });
    },
    send(command: EngineCommand) {
      if (session) session.send(command);
      else waiting.push(command);
    },
    stop() {
      stopped = true;
      session?.stop();
    },
  };
}
