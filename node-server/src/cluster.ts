/**
 * `npm run cluster`: three nodes n1, n2, n3 (KV 8081-8083, Raft 9081-9083, data under ./data) as
 * child processes in this terminal, each line prefixed with the node's name in its own colour.
 * Waits for a leader, prints it and example commands; Ctrl-C stops all three (by pid).
 * Process management is shared with `npm start` (supervisor/node-processes.ts).
 */
import path from 'node:path';
import { NodeProcesses, nodeSpecs, repoRoot } from './supervisor/node-processes';
import { bold, nodePrefix } from './supervisor/terminal';

const bindHost = process.env.BIND_ADDRESS ?? '127.0.0.1';
let stopping = false;

const nodes = new NodeProcesses({
  nodes: nodeSpecs(3, 8081, 9081),
  host: bindHost,
  dataDir: process.env.RAFT_DATA_DIR ?? path.join(repoRoot, 'data'),
  env: { LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty' },
  onLine: (id, line) => process.stdout.write(nodePrefix(id) + line + '\n'),
  onExit: (id, code, signal) => {
    process.stdout.write(`${nodePrefix(id)}exited (${signal ?? `code ${code}`})\n`);
    if (!stopping && nodes.specs.every((n) => nodes.state(n.id) === 'stopped')) process.exit(1);
  },
});

function stopAll(signal: string): void {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping ${nodes.specs.map((n) => n.id).join(', ')}\n`);
  void nodes.stopAll().then(() => process.exit(0));
}

process.on('SIGINT', () => stopAll('SIGINT'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

for (const node of nodes.specs) nodes.start(node.id);
const leader = await nodes.waitForLeader(25_000, () => stopping);
if (leader) {
  const kv = nodes.kvUrl(leader.id);
  const base = `http://${bindHost}`;
  process.stdout.write(`
${bold(`leader: ${leader.id} (term ${leader.term}) at ${kv}`)}
try:
  curl -s -X PUT ${kv}/set -d '{"key":"name","value":"luffy"}'
  curl -s '${base}:8081/get?key=name'                     # linearizable read on any node
  curl -s '${base}:8082/get?key=name&consistency=stale'   # local read
  curl -s -X DELETE '${kv}/delete?key=name'
  curl -s ${base}:8081/health
  curl -s ${base}:9081/raft/status
Ctrl-C stops all three nodes.
`);
} else if (!stopping) {
  process.stdout.write('no leader within 25 s; the nodes keep running (see their logs above). Ctrl-C stops them.\n');
}
