/**
 * `npm start`: live mode. Builds the playground if needed, starts n1-n3 as real node processes (as
 * `npm run cluster` does, plus fault injection, a cluster token and CORS for this page), serves the
 * page and the supervisor API on http://127.0.0.1:8080, prints the URL and the leader.
 * Ctrl-C (SIGINT), SIGTERM or SIGHUP stop everything by pid; so does the exit of the process that
 * started this one (a test harness, npm); and a node whose supervisor is gone stops by itself.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvConfigError } from '../config';
import { createLogger } from '../logger';
import { createSupervisorApp } from './app';
import type { SupervisorConfig } from './config';
import { loadSupervisorConfig } from './config';
import { ClusterControl } from './control';
import { FaultBook } from './fault-book';
import { MembershipProxy } from './membership-proxy';
import { NodeProcesses, nodeSpecs, portFree, repoRoot } from './node-processes';
import { buildPlayground, playgroundSources, playgroundStaleReason } from './playground-build';
import { bold, nodePrefix } from './terminal';

const say = (line: string): void => void process.stdout.write(line + '\n');
const parentCheckMs = 1000;

function loadConfigOrExit(): Readonly<SupervisorConfig> {
  try {
    return loadSupervisorConfig();
  } catch (err) {
    if (!(err instanceof EnvConfigError)) throw err;
    process.stderr.write(`configuration error: ${err.message}\n`);
    process.exit(2);
  }
}

/** Every port this run needs, with the variable that moves it; exits naming the ones in use. */
async function checkPorts(config: Readonly<SupervisorConfig>): Promise<void> {
  const wanted: [number, string][] = [[config.port, 'START_PORT']];
  for (let i = 0; i < config.nodeCount; i++) wanted.push([config.kvPortBase + i, 'START_KV_PORT'], [config.raftPortBase + i, 'START_RAFT_PORT']);
  const busy = [];
  for (const [port, variable] of wanted) if (!(await portFree(port, config.host))) busy.push(`${port} (${variable})`);
  if (busy.length === 0) return;
  process.stderr.write(`port ${busy.join(', ')} already in use on ${config.host}: is another cluster running? Stop it or choose other ports.\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  await checkPorts(config);
  const stale = config.buildPlayground ? playgroundStaleReason(config.playgroundDir, playgroundSources(repoRoot)) : null;
  if (stale) {
    say(`building the playground (${stale}): npm run build`);
    await buildPlayground(repoRoot);
  }

  let stopping = false;
  const specs = nodeSpecs(config.nodeCount, config.kvPortBase, config.raftPortBase);
  const book = new FaultBook(specs.map((s) => s.id));
  const nodes: NodeProcesses = new NodeProcesses({
    nodes: specs,
    host: config.host,
    dataDir: config.dataDir,
    env: {
      RAFT_FAULT_INJECTION: '1',
      RAFT_CLUSTER_TOKEN: config.token,
      RAFT_CORS_ORIGINS: config.origins.join(','),
      LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty',
    },
    onLine: (id, line) => say(nodePrefix(id) + line),
    onRunning: (id) => control.onNodeRunning(id),
    onExit: (id, code, signal) => {
      if (!stopping) say(`${nodePrefix(id)}exited (${signal ?? `code ${code}`}); POST /api/nodes/${id}/restart (or the page) starts it again`);
    },
  });
  const control = new ClusterControl(nodes, book, config.token, say, {
    host: config.host, kvPortBase: config.kvPortBase, raftPortBase: config.raftPortBase, ownPort: config.port, nodesMax: config.nodesMax,
  });
  const membership = new MembershipProxy(nodes, config.token);
  const logger = createLogger({ nodeId: 'start', logLevel: 'info', logFormat: process.env.LOG_FORMAT === 'json' ? 'json' : 'pretty' });
  const server = http.createServer(createSupervisorApp({ control, membership, port: config.port, origins: config.origins, playgroundDir: config.playgroundDir, logger }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const url = `http://${config.host}:${(server.address() as AddressInfo).port}`;

  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    say(`\n${why}: stopping ${nodes.specs.map((s) => s.id).join(', ')}`);
    server.close();
    server.closeAllConnections();
    void nodes.stopAll().then(() => process.exit(0));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop(`parent process ${parent} exited`);
  }, parentCheckMs).unref();

  say(`starting ${specs.map((s) => `${s.id} (KV ${nodes.kvUrl(s.id)}, Raft ${nodes.raftUrl(s.id)})`).join(', ')}; data in ${config.dataDir}`);
  for (const spec of specs) nodes.start(spec.id);
  say(bold(`\nlive mode: open ${url}/?mode=live`) + `\n(supervisor API ${url}/api/cluster; fault injection on, cluster token ${config.tokenGenerated ? 'random for this run' : 'from RAFT_CLUSTER_TOKEN'}; Ctrl-C stops everything)\n`);
  const leader = await nodes.waitForLeader(25_000, () => stopping);
  if (leader) say(bold(`leader: ${leader.id} (term ${leader.term}) at ${nodes.kvUrl(leader.id)}`) + `   page: ${url}/?mode=live`);
  else if (!stopping) say('no leader within 25 s; the nodes keep running (see their logs above). Ctrl-C stops them.');
}

main().catch((err: unknown) => {
  process.stderr.write(`npm start failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
