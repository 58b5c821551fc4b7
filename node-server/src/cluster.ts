/**
 * `npm run cluster`: three nodes n1, n2, n3 (KV 8081-8083, Raft 9081-9083, data under ./data) as
 * child processes in this terminal, each line prefixed with the node's name in its own colour.
 * Waits for a leader, prints it and example commands; Ctrl-C stops all three (by pid).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const mainScript = path.join(root, 'node-server/src/main.ts');
const colours = ['\x1b[36m', '\x1b[35m', '\x1b[33m'];
const reset = '\x1b[0m';
const nodes = [1, 2, 3].map((i) => ({ id: `n${i}`, kvPort: 8080 + i, raftPort: 9080 + i, colour: colours[i - 1]! }));
const children = new Map<string, ChildProcess>();
const bindHost = process.env.BIND_ADDRESS ?? '127.0.0.1';

function start(node: (typeof nodes)[number]): void {
  const peers = nodes.filter((n) => n !== node);
  const env = {
    ...process.env,
    NODE_ID: node.id,
    KVSTORE_PORT: String(node.kvPort),
    RAFT_PORT: String(node.raftPort),
    PEERS: peers.map((p) => `http://${bindHost}:${p.raftPort}`).join(','),
    PEER_IDS: peers.map((p) => p.id).join(','),
    RAFT_DATA_DIR: process.env.RAFT_DATA_DIR ?? path.join(root, 'data'),
    LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', mainScript], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.set(node.id, child);
  const prefix = `${node.colour}[${node.id}]${reset} `;
  for (const stream of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: stream }).on('line', (line) => process.stdout.write(prefix + line + '\n'));
  }
  child.on('exit', (code, signal) => {
    children.delete(node.id);
    process.stdout.write(`${prefix}exited (${signal ?? `code ${code}`})\n`);
    if (!stopping && children.size === 0) process.exit(1);
  });
}

interface Health {
  id: string;
  state: string;
  term: number;
  leader: string | null;
}

async function health(kvPort: number): Promise<Health | null> {
  try {
    const res = await fetch(`http://${bindHost}:${kvPort}/health`, { signal: AbortSignal.timeout(500) });
    return (await res.json()) as Health;
  } catch {
    return null;
  }
}

async function waitForLeader(timeoutMs: number): Promise<Health | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    const all = await Promise.all(nodes.map((n) => health(n.kvPort)));
    const leader = all.find((h) => h?.state === 'leader');
    if (leader) return leader;
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

let stopping = false;
function stopAll(signal: string): void {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping ${[...children.keys()].join(', ')}\n`);
  for (const child of children.values()) if (child.pid) process.kill(child.pid, 'SIGTERM');
  // A node that does not stop within 5 s is killed.
  setTimeout(() => {
    for (const child of children.values()) if (child.pid) process.kill(child.pid, 'SIGKILL');
  }, 5000).unref();
  const check = setInterval(() => {
    if (children.size === 0) {
      clearInterval(check);
      process.exit(0);
    }
  }, 50);
}

process.on('SIGINT', () => stopAll('SIGINT'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

for (const node of nodes) start(node);
const leader = await waitForLeader(25_000);
if (leader) {
  const kv = nodes.find((n) => n.id === leader.id)!.kvPort;
  const base = `http://${bindHost}`;
  process.stdout.write(`
\x1b[1mleader: ${leader.id} (term ${leader.term}) at ${base}:${kv}\x1b[0m
try:
  curl -s -X PUT ${base}:${kv}/set -d '{"key":"name","value":"luffy"}'
  curl -s '${base}:8081/get?key=name'                     # linearizable read on any node
  curl -s '${base}:8082/get?key=name&consistency=stale'   # local read
  curl -s -X DELETE '${base}:${kv}/delete?key=name'
  curl -s ${base}:8081/health
  curl -s ${base}:9081/raft/status
Ctrl-C stops all three nodes.
`);
} else if (!stopping) {
  process.stdout.write('no leader within 25 s; the nodes keep running (see their logs above). Ctrl-C stops them.\n');
}
