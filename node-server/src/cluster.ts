/**
 * `npm run cluster [-- --nodes N]`: N nodes (3 by default, up to 9) n1..nN (KV 8081.., Raft
 * 9081.., data under ./data) as child processes in this terminal, each line prefixed with the
 * node's name in its own colour. Waits for a leader, prints it, each node's pid and example
 * commands; Ctrl-C stops them all (by pid). Process management is shared with `npm start`
 * (supervisor/node-processes.ts).
 *
 * `npm run cluster -- --netns [--tls] [--nodes N] [--prefix rkv]`: the same, but each node in a
 * network namespace of its own, as if on its own host (netns/): its own address, every node on
 * ports 8080 (KV) and 9080 (Raft), reached from the client namespace. Needs root. Ctrl-C also
 * removes the namespaces; a run that was killed is cleaned up by the next one.
 */
import path from 'node:path';
import { netnsUnsupportedReason } from './netns/commands';
import { NetnsCluster } from './netns/netns-cluster';
import { defaultPrefix } from './netns/plan';
import { NodeProcesses, nodeSpecs, repoRoot } from './supervisor/node-processes';
import { bold, nodePrefix } from './supervisor/terminal';

const usage = 'usage: npm run cluster [-- [--nodes 3] [--netns [--tls] [--prefix rkv]]]';

interface Args {
  netns: boolean;
  tls: boolean;
  nodes: number;
  prefix: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { netns: false, tls: false, nodes: 3, prefix: defaultPrefix };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--netns') args.netns = true;
    else if (arg === '--tls') args.tls = true;
    else if (arg === '--nodes') args.nodes = Number(argv[++i]);
    else if (arg === '--prefix') args.prefix = argv[++i] ?? '';
    else throw new Error(`unknown option ${arg}\n${usage}`);
  }
  if (!Number.isInteger(args.nodes) || args.nodes < 1 || args.nodes > 9) throw new Error(`--nodes must be 1 to 9\n${usage}`);
  if ((args.tls || args.prefix !== defaultPrefix) && !args.netns) throw new Error(`--tls and --prefix go with --netns\n${usage}`);
  return args;
}

let stopping = false;
const onLine = (id: string, line: string) => process.stdout.write(nodePrefix(id) + line + '\n');

async function runLocal(args: Args): Promise<void> {
  const bindHost = process.env.BIND_ADDRESS ?? '127.0.0.1';
  const nodes = new NodeProcesses({
    nodes: nodeSpecs(args.nodes, 8081, 9081),
    host: bindHost,
    dataDir: process.env.RAFT_DATA_DIR ?? path.join(repoRoot, 'data'),
    env: { LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty' },
    onLine,
    onExit: (id, code, signal) => {
      process.stdout.write(`${nodePrefix(id)}exited (${signal ?? `code ${code}`})\n`);
      if (!stopping && nodes.specs.every((n) => nodes.state(n.id) === 'stopped')) process.exit(1);
    },
  });
  const stopAll = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping ${nodes.specs.map((n) => n.id).join(', ')}\n`);
    void nodes.stopAll().then(() => process.exit(0));
  };
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
  curl -s ${base}:8081/cluster/members                    # the members, as n1 sees them
pids: ${nodes.specs.map((n) => `${n.id} ${nodes.pid(n.id) ?? '-'}`).join(', ')}   (kill -9 <pid> makes a node fail; docs/membership.md replaces it)
Ctrl-C stops all ${nodes.specs.length} nodes.
`);
  } else if (!stopping) {
    process.stdout.write('no leader within 25 s; the nodes keep running (see their logs above). Ctrl-C stops them.\n');
  }
}

async function runNetns(args: Args): Promise<void> {
  const reason = await netnsUnsupportedReason();
  if (reason) throw new Error(`--netns: ${reason}`);
  const dataDir = process.env.RAFT_DATA_DIR ?? path.join(repoRoot, 'data', 'netns');
  const ids = Array.from({ length: args.nodes }, (_, i) => `n${i + 1}`);
  let cluster: NetnsCluster | null = null;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping ${ids.join(', ')} and removing the namespaces ${args.prefix}-*\n`);
    // Still starting: NetnsCluster.start removes what it made when it fails; the nodes exit with us.
    if (!cluster) process.exit(130);
    void cluster.stop().then(() => process.exit(0), (err: unknown) => {
      process.stderr.write(`cleanup failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));

  cluster = await NetnsCluster.start({
    nodeIds: ids, prefix: args.prefix, dataDir, tls: args.tls, env: { LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty' }, onLine,
    log: (line) => process.stdout.write(line + '\n'),
    onExit: (id, code, signal) => process.stdout.write(`${nodePrefix(id)}exited (${signal ?? `code ${code}`})\n`),
  });
  if (stopping) return;
  const leader = await cluster.processes.waitForLeader(25_000, () => stopping);
  process.stdout.write(netnsHelp(cluster, args, dataDir, leader ? `${leader.id} (term ${leader.term})` : null));
}

function netnsHelp(cluster: NetnsCluster, args: Args, dataDir: string, leader: string | null): string {
  const { plan } = cluster;
  const client = `ip netns exec ${plan.clientNamespace}`;
  const certs = path.relative(process.cwd(), path.join(dataDir, 'certs')) || '.';
  const curl = args.tls ? `curl -s --cacert ${certs}/ca.crt` : 'curl -s';
  const raftCurl = args.tls ? `${curl} --cert ${certs}/client.crt --key ${certs}/client.key` : curl;
  const first = plan.nodes[0]!;
  const second = plan.nodes[1] ?? first;
  const kv = (n: typeof first) => cluster.kvUrl(n.id);
  return `
${bold(leader ? `leader: ${leader}` : 'no leader within 25 s (see the logs above)')}
nodes (each in its own network namespace, KV port 8080, Raft port 9080${args.tls ? ', TLS on both' : ''}):
${plan.nodes.map((n) => `  ${n.id}  ${n.address}  namespace ${n.namespace}  pid ${cluster.pid(n.id) ?? '-'}`).join('\n')}
clients run in ${plan.clientNamespace} (${plan.clientAddress}); the bridge is in ${plan.bridgeNamespace}; the machine's own network is untouched.
try:
  ${client} ${curl} -X PUT ${kv(first)}/set -d '{"key":"name","value":"luffy"}'   # 409 + the leader's URL if ${first.id} does not lead
  ${client} ${curl} '${kv(second)}/get?key=name'
  ${client} ${raftCurl} ${cluster.raftUrl(first.id)}/raft/status
  ip netns exec ${first.namespace} nft add rule inet raftkv input ip saddr ${second.address} drop   # ${first.id} stops hearing ${second.id}
  ip netns exec ${first.namespace} nft flush table inet raftkv                                    # heal it
  kill -STOP <pid>; kill -CONT <pid>                                                            # pause a node, resume it
Ctrl-C stops the nodes and removes the namespaces.
`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.netns) await runNetns(args);
  else await runLocal(args);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
