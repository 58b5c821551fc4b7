/**
 * One Raft KV node in the foreground: reads the config from the environment, starts the node,
 * and shuts it down cleanly on SIGTERM or SIGINT (and, when a supervisor started it, when its
 * stdin closes: the supervisor is gone, even if it was SIGKILLed).
 */
import { EnvConfigError, loadConfig } from './config';
import { fixHeapGrowingWhenLarge } from './heap-growing';
import { createLogger, flushLogs } from './logger';
import { startNode } from './node';

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
  const stopHeapCheck = fixHeapGrowingWhenLarge(config.heapGrowingPercent);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`[node] ${config.nodeId} received ${signal}, shutting down`);
    stopHeapCheck();
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
