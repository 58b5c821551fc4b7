/**
 * One Raft KV node in the foreground: reads the config from the environment, starts the node,
 * and shuts it down cleanly on SIGTERM or SIGINT.
 */
import { EnvConfigError, loadConfig } from './config';
import { createLogger, flushLogsSync } from './logger';
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
    flushLogsSync();
    process.exitCode = 1;
    setImmediate(() => process.exit(1));
  };
  let node;
  try {
    node = await startNode(config, logger, fatal);
  } catch (err) {
    fatal(err);
    return;
  }
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`[node] ${config.nodeId} received ${signal}, shutting down`);
    void node.close().then(() => {
      flushLogsSync();
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
