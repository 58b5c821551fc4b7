/**
 * Creates, changes and removes the network of a namespaced cluster (plan.ts), and its faults:
 *
 * - Traffic drops (the nemesis's partitions and one-way cuts) are nftables rules in the namespace of
 *   the node that must not receive: `ip saddr { ... } drop` on its input hook. The sender's packets
 *   leave and vanish, as in a real partition: its connections hang until its own timeouts fire
 *   (no refusal, no reset), and an existing TCP connection goes half-dead.
 * - Bandwidth squeezes are tc tbf qdiscs on both ends of a node's link (its own interface and its
 *   bridge port), so both directions slow down.
 *
 * Everything a run makes is recorded before it is made, in a state file named after the run's
 * prefix in stateDir, with the owner's pid and start time. Any later start removes what a run whose
 * owner is gone left behind (after a crash or a SIGKILL), including processes still inside.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LiveFaults, NodeId } from '@raft-kv/core';
import { run, runIn } from './commands';
import type { NetnsPlan } from './plan';
import { bridgeInterface, namespacePattern, namespacesOf, nodeOf, podInterface, subnetPrefixLength } from './plan';

export const defaultStateDir = '/run/raft-kv-netns';
/** The nftables table every node namespace holds (private to the namespace, so one name serves all). */
export const nftTable = 'raftkv';

interface StateFile {
  prefix: string;
  ownerPid: number;
  ownerStartTime: string | null;
  namespaces: string[];
  createdAt: string;
}

export interface Squeeze {
  rateKbit: number;
}

export class NetnsNetwork {
  /** What each node was told to drop, in the nemesis's (and the fault endpoint's) terms. */
  private readonly drops = new Map<NodeId, { to: Set<NodeId>; from: Set<NodeId> }>();
  /** The source addresses each node's input hook drops now (as written to its table). */
  private readonly inputDrops = new Map<NodeId, string>();
  private destroyed = false;

  private constructor(readonly plan: NetnsPlan, readonly stateDir: string) {}

  /**
   * Removes stale leftovers, records this run, then builds its namespaces, bridge and links. On any
   * failure what was made is removed again before the error is thrown.
   */
  static async create(plan: NetnsPlan, options: { stateDir?: string; log?: (line: string) => void } = {}): Promise<NetnsNetwork> {
    const stateDir = options.stateDir ?? defaultStateDir;
    const log = options.log ?? (() => {});
    for (const line of await removeStale(stateDir)) log(line);
    const net = new NetnsNetwork(plan, stateDir);
    net.claim();
    try {
      await net.build();
    } catch (err) {
      await net.destroy();
      throw err;
    }
    const clash = await hostRouteClash(plan);
    if (clash) log(clash);
    return net;
  }

  get stateFile(): string {
    return path.join(this.stateDir, `${this.plan.prefix}.json`);
  }

  /** The Unix socket of this run's client gateway (gateway.ts). */
  get gatewaySocket(): string {
    return path.join(this.stateDir, `${this.plan.prefix}.sock`);
  }

  /** The command prefix that runs a program inside `id`'s namespace (the pid stays the program's: ip execs it). */
  execPrefix(namespace: string): string[] {
    return ['ip', 'netns', 'exec', namespace];
  }

  private claim(): void {
    fs.mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const existing = readState(this.stateFile);
    if (existing && ownerAlive(existing)) throw new Error(`prefix ${this.plan.prefix} is in use by pid ${existing.ownerPid}; pick another prefix or stop that run`);
    const state: StateFile = {
      prefix: this.plan.prefix, ownerPid: process.pid, ownerStartTime: processStartTime(process.pid),
      namespaces: namespacesOf(this.plan), createdAt: new Date().toISOString(),
    };
    fs.writeFileSync(this.stateFile, JSON.stringify(state, null, 2) + '\n');
  }

  private async build(): Promise<void> {
    const { plan } = this;
    await run('ip', ['-batch', '-'], namespacesOf(plan).map((ns) => `netns add ${ns}\n`).join(''));
    const pods = [...plan.nodes.map((n) => ({ ns: n.namespace, port: n.bridgePort, address: n.address })), { ns: plan.clientNamespace, port: plan.clientBridgePort, address: plan.clientAddress }];
    const bridge = [`link add ${bridgeInterface} type bridge`, `link set ${bridgeInterface} up`, 'link set lo up'];
    for (const pod of pods) {
      bridge.push(`link add ${pod.port} type veth peer name ${podInterface} netns ${pod.ns}`, `link set ${pod.port} master ${bridgeInterface}`, `link set ${pod.port} up`);
    }
    await run('ip', ['-n', plan.bridgeNamespace, '-batch', '-'], bridge.map((l) => l + '\n').join(''));
    for (const pod of pods) {
      await run('ip', ['-n', pod.ns, '-batch', '-'], [`addr add ${pod.address}/${subnetPrefixLength} dev ${podInterface}`, `link set ${podInterface} up`, 'link set lo up'].map((l) => l + '\n').join(''));
    }
    for (const node of plan.nodes) await this.writeInputDrops(node.id, []);
  }

  /**
   * Sets what `id` drops, as the fault endpoint's dropTo/dropFrom would ({} heals it), and rewrites
   * the tables of the nodes whose input rules changed. Returns each change as namespace: rule.
   */
  async setDrops(id: NodeId, faults: LiveFaults): Promise<string[]> {
    nodeOf(this.plan, id);
    this.drops.set(id, { to: new Set(faults.dropTo ?? []), from: new Set(faults.dropFrom ?? []) });
    const changes: string[] = [];
    for (const node of this.plan.nodes) {
      const sources = this.sourcesDroppedBy(node.id);
      const key = sources.join(',');
      if ((this.inputDrops.get(node.id) ?? '') === key) continue;
      await this.writeInputDrops(node.id, sources);
      changes.push(`${node.namespace}: ${sources.length === 0 ? `flush table inet ${nftTable}` : inputRule(sources)}`);
    }
    return changes;
  }

  /** Clears every drop (one table write per node that had any). */
  async healDrops(): Promise<string[]> {
    const changes: string[] = [];
    for (const node of this.plan.nodes) changes.push(...(await this.setDrops(node.id, {})));
    return changes;
  }

  /** Addresses node `dst` must not receive from: senders that drop towards it, and peers it ignores. */
  private sourcesDroppedBy(dst: NodeId): string[] {
    const sources = new Set<NodeId>();
    for (const [src, d] of this.drops) if (d.to.has(dst)) sources.add(src);
    for (const src of this.drops.get(dst)?.from ?? []) sources.add(src);
    return [...sources].sort().map((s) => nodeOf(this.plan, s).address);
  }

  private async writeInputDrops(id: NodeId, sources: string[]): Promise<void> {
    const node = nodeOf(this.plan, id);
    // One nft transaction: the table is replaced atomically, never half-written.
    const script = [
      `table inet ${nftTable} {}`,
      `flush table inet ${nftTable}`,
      `table inet ${nftTable} {`,
      '  chain input {',
      '    type filter hook input priority filter; policy accept;',
      ...(sources.length > 0 ? [`    ${inputRule(sources)}`] : []),
      '  }',
      '}',
    ].join('\n');
    await runIn(node.namespace, 'nft', ['-f', '-'], script + '\n');
    this.inputDrops.set(id, sources.join(','));
  }

  /** Limits `id`'s link to `rateKbit` each way (tbf on its interface and on its bridge port). */
  async squeeze(id: NodeId, squeeze: Squeeze): Promise<string[]> {
    const node = nodeOf(this.plan, id);
    // Burst: a few full packets (tbf needs at least one MTU); latency: how long a packet may queue before tbf drops it.
    const qdisc = ['root', 'tbf', 'rate', `${squeeze.rateKbit}kbit`, 'burst', '16kb', 'latency', '200ms'];
    await runIn(node.namespace, 'tc', ['qdisc', 'replace', 'dev', podInterface, ...qdisc]);
    await runIn(this.plan.bridgeNamespace, 'tc', ['qdisc', 'replace', 'dev', node.bridgePort, ...qdisc]);
    return [
      `${node.namespace}: tc qdisc replace dev ${podInterface} ${qdisc.join(' ')}`,
      `${this.plan.bridgeNamespace}: tc qdisc replace dev ${node.bridgePort} ${qdisc.join(' ')}`,
    ];
  }

  async unsqueeze(id: NodeId): Promise<string[]> {
    const node = nodeOf(this.plan, id);
    const removed: string[] = [];
    for (const [ns, dev] of [[node.namespace, podInterface], [this.plan.bridgeNamespace, node.bridgePort]] as const) {
      const shown = await runIn(ns, 'tc', ['qdisc', 'show', 'dev', dev, 'root']);
      if (!shown.includes('tbf')) continue;
      await runIn(ns, 'tc', ['qdisc', 'del', 'dev', dev, 'root']);
      removed.push(`${ns}: tc qdisc del dev ${dev} root`);
    }
    return removed;
  }

  /** The nft ruleset of a node's namespace, as `nft list ruleset` prints it (for tests and reports). */
  ruleset(id: NodeId): Promise<string> {
    return runIn(nodeOf(this.plan, id).namespace, 'nft', ['list', 'ruleset']);
  }

  /** Kills any process still inside (by pid), removes every namespace (their links go with them) and the state file. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await removeNamespaces(namespacesOf(this.plan));
    fs.rmSync(this.gatewaySocket, { force: true });
    fs.rmSync(this.stateFile, { force: true });
  }
}

function inputRule(sources: string[]): string {
  return `ip saddr { ${sources.join(', ')} } drop`;
}

/** Removes what runs whose owner is gone left behind: namespaces named in their state files, and any of ours no live run claims. */
export async function removeStale(stateDir = defaultStateDir): Promise<string[]> {
  const lines: string[] = [];
  const claimed = new Set<string>();
  // Namespaces first, state files second: a run records itself before it makes anything, so every
  // namespace listed here that belongs to a live run has its state file by the time we read them.
  const existing = await listNamespaces();
  let files: string[] = [];
  try {
    files = fs.readdirSync(stateDir).filter((f) => f.endsWith('.json'));
  } catch {
    // no state dir yet: nothing was ever recorded here
  }
  for (const file of files) {
    const full = path.join(stateDir, file);
    const state = readState(full);
    if (state && ownerAlive(state)) {
      for (const ns of state.namespaces) claimed.add(ns);
      continue;
    }
    const namespaces = state?.namespaces ?? [];
    await removeNamespaces(namespaces);
    fs.rmSync(full, { force: true });
    fs.rmSync(full.replace(/\.json$/, '.sock'), { force: true });
    lines.push(`netns: removed a stale run ${state?.prefix ?? file} (owner pid ${state?.ownerPid ?? '?'} is gone): ${namespaces.join(' ') || 'nothing left'}`);
  }
  const orphans = existing.filter((ns) => namespacePattern.test(ns) && !claimed.has(ns));
  if (orphans.length > 0) {
    await removeNamespaces(orphans);
    lines.push(`netns: removed namespaces no live run claims: ${orphans.join(' ')}`);
  }
  return lines;
}

async function listNamespaces(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']);
  return out.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n !== '');
}

/** SIGKILLs the processes inside each namespace (they are what a run started there), then deletes it. */
async function removeNamespaces(namespaces: readonly string[]): Promise<void> {
  const existing = new Set(await listNamespaces());
  for (const ns of namespaces) {
    if (!existing.has(ns)) continue;
    const pids = (await run('ip', ['netns', 'pids', ns]).catch(() => '')).split('\n').map(Number).filter((p) => Number.isInteger(p) && p > 0);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await run('ip', ['netns', 'del', ns]);
  }
}

function readState(file: string): StateFile | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StateFile;
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat: distinguishes a live owner from a new process that reuses its pid. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function ownerAlive(state: StateFile): boolean {
  const start = processStartTime(state.ownerPid);
  return start !== null && start === state.ownerStartTime;
}

/** A warning when the machine itself routes to the plan's addresses (curl from outside the client namespace would reach those, not the cluster). */
async function hostRouteClash(plan: NetnsPlan): Promise<string | null> {
  const subnet = plan.clientAddress.split('.').slice(0, 3).join('.');
  const routes = await run('ip', ['-4', 'route', 'show']).catch(() => '');
  const hit = routes.split('\n').find((line) => {
    const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?/.exec(line);
    if (!m) return false;
    const length = Number(m[2] ?? 32);
    return length > 0 && overlaps(m[1]!, length, `${subnet}.0`, subnetPrefixLength);
  });
  return hit ? `netns: note: this machine also routes ${hit.trim()}; the cluster's ${subnet}.0/24 is reachable only from ${plan.clientNamespace}` : null;
}

function overlaps(a: string, aLength: number, b: string, bLength: number): boolean {
  const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const length = Math.min(aLength, bLength);
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  return ((toInt(a) & mask) >>> 0) === ((toInt(b) & mask) >>> 0);
}
