/**
 * kvctl: the command line of a raft-kv cluster (docs/clients.md). `npx kvctl ...` after
 * `npm install`, or `npm run kvctl -- ...`. Endpoints come from --endpoints, else KVCTL_ENDPOINTS.
 */
import { runKvctl } from './commands';

const interrupted = new AbortController();
process.once('SIGINT', () => interrupted.abort());
process.once('SIGTERM', () => interrupted.abort());

const env = { KVCTL_ENDPOINTS: process.env.KVCTL_ENDPOINTS, KVCTL_TOKEN: process.env.KVCTL_TOKEN };

runKvctl(process.argv.slice(2), env, {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  signal: interrupted.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`kvctl: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
).finally(() => {
  // Open keep-alive connections would hold the process a few seconds more.
  setImmediate(() => process.exit());
});
