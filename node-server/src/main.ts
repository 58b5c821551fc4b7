/**
 * One Raft KV node in the foreground: reads the config from the environment, starts the node,
 * and shuts it down cleanly on SIGTERM or SIGINT (and, when a supervisor started it, when its
 * stdin closes: the supervisor is gone, even if it was SIGKILLed).
 */
import v8 from 'node:v8';
import { EnvConfigError, loadConfig } from './config';
import { createLogger, flushLogs } from './logger';
import { startNode } from './node';

/**
 * After each full collection V8 lets the heap grow to between 1.1 and 4 times what is live, more
 * on a process that allocates fast: at 1M keys a leader (it parses every client's request) held
 * 571 MiB of heap with 379 in use, its followers about 45 MiB more than they used (bench:scale). A
 * fixed factor of 1.2 (RAFT_HEAP_GROWING_PERCENT=20, the default) held the leader at 472 with 373
 * in use, and RSS at 2.41x the live data instead of 2.57-3.42x, at the same write rate: full
 * collections come more often, and most of their marking runs beside the node. V8 reads the flag
 * at each collection, so setting it once the process runs takes effect. The flag on the command
 * line (`node --heap-growing-percent=N`) wins; 0 leaves the choice to V8.
 */
function setHeapGrowing(percent: number): void {
  if (percent === 0 || process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) return;
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof EnvConfigError)) throw err;
    process.stderr.write(`configuration error: ${err.message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config);
  const fatal = (err: unknown): void => {
    logger.fatal({ err }, `[node] ${config.nodeId} stopping: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
    void flushLogs().then(() => process.exit(1));
  };
  let node;
  try {
    node = await startNode(config, logger, fatal);
  } catch (err) {
    fatal(err);
    return;
  }
  // Once the node has read its snapshot and log: that restore grows the heap by the whole state,
  // and a fixed factor of 1.2 would collect it again at every fifth of the way.
  setHeapGrowing(config.heapGrowingPercent);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`[node] ${config.nodeId} received ${signal}, shutting down`);
    void node.close().then(flushLogs).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (config.supervised) {
    process.stdin.on('end', () => shutdown('end of stdin (supervisor gone)'));
    process.stdin.on('error', () => shutdown('stdin error (supervisor gone)'));
    process.stdin.resume();
  }
}

void main();
