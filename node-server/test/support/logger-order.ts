/**
 * Run by logger.test.ts in a child process: the node's logger on this process's stdout, pino's
 * own lines and the fast lines interleaved over several turns, then the flush a deliberate exit
 * does, on stdout as the test gave it (a pipe or a file). Argument: how many rounds.
 */
import { createLogger, flushLogs, infoLine, stdoutIsFile } from '../../src/logger';

const rounds = Number(process.argv[2] ?? 3);
const logger = createLogger({ nodeId: 'n1', logLevel: 'info', logFormat: 'json' });
const line = infoLine(logger);
logger.info(`[mode] stdout is a file: ${stdoutIsFile()}`);
for (let r = 0; r < rounds; r++) {
  line(`[apply] index=${2 * r + 1} op=set key=k value="a b"`);
  logger.warn(`[raft] round ${r}`);
  line(`[apply] index=${2 * r + 2} op=noop`);
  await new Promise((resolve) => setImmediate(resolve));
}
logger.info('[last] before exit');
await flushLogs();
process.exit(0);
