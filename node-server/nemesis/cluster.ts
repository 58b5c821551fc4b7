/**
 * The cluster the nemesis attacks: real node processes (the shared NodeProcesses that npm start
 * uses), a fresh data directory, a cluster token, and each node's output in <outDir>/logs/<id>.log.
 *
 * - `local`: every node on 127.0.0.1, on free ports below the ephemeral range, with fault
 *   injection on: cuts go through each node's fault endpoint.
 * - `netns`: every node in a network namespace of its own (src/netns), reached through the client
 *   namespace; cuts are nftables rules, and pauses (SIGSTOP/SIGCONT) and bandwidth squeezes (tc
 *   tbf) are possible. No fault endpoint is involved. Optionally TLS on both ports.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LiveFaults, NodeId } from '@raft-kv/core';
import type { Agents } from '../src/http/client-request';
import { NetnsCluster } from '../src/netns/netns-cluster';
import { NodeProcesses, nodeSpecs, portFree } from '../src/supervisor/node-processes';
import type { ClientTarget } from './clients';
import type { Target } from './faults';
import { adminRequest, kvRequest } from './http-client';
import type { AdminAnswer, MembershipTarget } from './membership';

const host = '127.0.0.1';
/** How long the nemesis waits for a leader to tell it the members. */
const membersWaitMs = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type NemesisNet = 'local' | 'netns';

export interface NemesisClusterOptions {
  nodes: number;
  outDir: string;
  token: string;
  net: NemesisNet;
  /** Extra environment for every node. */
  env?: Record<string, string>;
  /** netns only: TLS on both ports of every node. */
  tls?: boolean;
  /** netns only: the namespaces' prefix (default rkvn + a few random characters). */
  prefix?: string;
  log?: (line: string) => void;
}

export class NemesisCluster {
  /**
   * The members (voters, then learners), as the nemesis last learned them from the leader: what
   * the faults pick from, the clients use and the checks hold to agree. Removed nodes leave it.
   */
  nodeIds: NodeId[];
  /** The clients' view of the members: the same array throughout, changed in place. */
  readonly clientTargets: ClientTarget[] = [];
  /** Nodes removed from the cluster and stopped for good. */
  private readonly retired = new Set<NodeId>();

  private constructor(
    private readonly processes: NodeProcesses,
    private readonly netns: NetnsCluster | null,
    readonly dataDir: string,
    private readonly token: string,
    private readonly logs: Map<NodeId, fs.WriteStream>,
    readonly agents: Agents | undefined,
  ) {
    this.nodeIds = processes.specs.map((s) => s.id);
    this.updateClientTargets();
  }

  static async start(options: NemesisClusterOptions): Promise<NemesisCluster> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-nemesis-'));
    fs.mkdirSync(path.join(options.outDir, 'logs'), { recursive: true });
    const ids = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
    const logs = new Map<NodeId, fs.WriteStream>();
    const logOf = (id: NodeId) => {
      let log = logs.get(id);
      if (!log) logs.set(id, (log = fs.createWriteStream(path.join(options.outDir, 'logs', `${id}.log`), { flags: 'a' })));
      return log;
    };
    for (const id of ids) logOf(id);
    const onLine = (id: NodeId, line: string) => logOf(id).write(line + '\n');
    const env = { RAFT_CLUSTER_TOKEN: options.token, LOG_FORMAT: 'json', ...options.env };
    try {
      if (options.net === 'netns') {
        const prefix = options.prefix ?? `rkvn${Math.random().toString(36).slice(2, 6)}`;
        const netns = await NetnsCluster.start({ nodeIds: ids, prefix, dataDir, env, tls: options.tls, onLine, log: options.log });
        return new NemesisCluster(netns.processes, netns, dataDir, options.token, logs, netns.agents);
      }
      if (options.tls) throw new Error('--tls needs --net netns');
      const [kvBase, raftBase] = await choosePorts(options.nodes);
      const processes = new NodeProcesses({ nodes: nodeSpecs(options.nodes, kvBase, raftBase), host, dataDir, env: { RAFT_FAULT_INJECTION: '1', ...env }, onLine });
      const cluster = new NemesisCluster(processes, null, dataDir, options.token, logs, undefined);
      for (const id of ids) processes.start(id);
      for (const id of ids) await cluster.waitRunning(id);
      return cluster;
    } catch (err) {
      for (const log of logs.values()) log.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** What the faults act on (faults.ts). */
  target(): Target {
    const netns = this.netns;
    const members = () => this.nodeIds;
    return {
      // The members change (membership faults): every fault reads them when it picks.
      get nodeIds() {
        return members();
      },
      leader: () => this.leader(),
      kill: (id) => this.kill(id),
      restart: async (id) => {
        await this.restart(id);
        return `restart ${id} (pid ${this.processes.pid(id) ?? '-'})`;
      },
      isRunning: (id) => this.isRunning(id),
      setFaults: (id, faults) => this.setFaults(id, faults),
      ...(netns ? {
        kernel: {
          pause: (id) => netns.pause(id),
          resume: (id) => netns.resume(id),
          isPaused: (id) => netns.isPaused(id),
          squeeze: (id, rateKbit) => netns.network.squeeze(id, { rateKbit }),
          unsqueeze: (id) => netns.network.unsqueeze(id),
        },
      } : { membership: this.membershipTarget() }),
    };
  }

  /** Membership changes on local processes (membership.ts). */
  private membershipTarget(): MembershipTarget {
    return {
      members: () => this.membersOfLeader(membersWaitMs),
      leader: () => this.leader(),
      startNode: () => this.startNode(),
      retire: (id) => this.retire(id),
      kill: (id) => this.kill(id),
      isRunning: (id) => this.isRunning(id),
      urls: (id) => ({ raftUrl: this.processes.raftUrl(id), kvUrl: this.processes.kvUrl(id) }),
      admin: (node, method, path, body) => this.admin(node, method, path, body),
      membersChanged: () => this.refreshMembers(),
    };
  }

  /**
   * The leader's configuration (its /cluster/members), waiting up to `waitMs` for a leader (after
   * a leader removed itself there is none for a moment); null when none answers in time.
   */
  async membersOfLeader(waitMs: number): Promise<{ voters: NodeId[]; learners: NodeId[] } | null> {
    const deadline = Date.now() + waitMs;
    do {
      const leader = await this.leader();
      const answer = leader === null ? null : await this.admin(leader, 'GET', '/cluster/members');
      if (answer?.status === 200 && answer.body.leaderId === leader) {
        const members = answer.body.members as { id: NodeId; role: 'voter' | 'learner' }[];
        return { voters: members.filter((m) => m.role === 'voter').map((m) => m.id), learners: members.filter((m) => m.role === 'learner').map((m) => m.id) };
      }
      await sleep(100);
    } while (Date.now() < deadline);
    return null;
  }

  /** Takes the members from the leader (unchanged when none answers in time); the clients follow. */
  async refreshMembers(): Promise<void> {
    const members = await this.membersOfLeader(membersWaitMs);
    if (!members) return;
    const known = [...members.voters, ...members.learners].filter((id) => this.processes.has(id));
    this.nodeIds = known;
    this.updateClientTargets();
  }

  private updateClientTargets(): void {
    this.clientTargets.splice(0, this.clientTargets.length, ...this.nodeIds.map((id) => ({ id, kvUrl: this.kvUrl(id) })));
  }

  /** A new empty node (the next id, free ports, RAFT_JOIN), running: not a member until added. */
  async startNode(): Promise<NodeId> {
    const k = this.processes.specs.length + 1;
    const [kvPort, raftPort] = await freePortPair(this.processes.specs.flatMap((n) => [n.kvPort, n.raftPort]));
    const id = `n${k}`;
    this.processes.add({ id, kvPort, raftPort, join: true });
    this.processes.start(id);
    await this.waitRunning(id);
    return id;
  }

  /** Stops a node that left the cluster, for good (SIGKILL), and leaves it out from now on. */
  async retire(id: NodeId): Promise<string> {
    this.retired.add(id);
    this.nodeIds = this.nodeIds.filter((n) => n !== id);
    this.updateClientTargets();
    const pid = this.processes.pid(id);
    if (pid === null) return `${id} left the cluster (already stopped)`;
    await this.processes.kill(id, 'SIGKILL');
    return `${id} left the cluster: SIGKILL pid ${pid}`;
  }

  /** A membership request (docs/membership.md) to one node's KV port, with the cluster token. */
  admin(node: NodeId, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<AdminAnswer> {
    return adminRequest(`${this.kvUrl(node)}${path}`, method, body, this.token, this.agents);
  }

  /** Every node ever started, members or not, and whether it was retired. */
  get everyNode(): { id: NodeId; retired: boolean }[] {
    return this.processes.specs.map((s) => ({ id: s.id, retired: this.retired.has(s.id) }));
  }

  kvUrl(id: NodeId): string {
    return this.processes.kvUrl(id);
  }

  /** A node's local (stale) read of `key`, for comparing states; null when not found or no answer. */
  async localValue(id: NodeId, key: string): Promise<string | null> {
    const r = await kvRequest(`${this.kvUrl(id)}/get?key=${encodeURIComponent(key)}&consistency=stale`, 'GET', undefined, 5_000, this.agents);
    return r.status === 200 ? String(r.body.value) : null;
  }

  isRunning(id: NodeId): boolean {
    return this.processes.state(id) !== 'stopped';
  }

  async kill(id: NodeId): Promise<string> {
    const pid = this.processes.pid(id);
    await this.processes.kill(id, 'SIGKILL');
    return `SIGKILL pid ${pid ?? '-'} (${id})`;
  }

  async restart(id: NodeId): Promise<void> {
    this.processes.start(id);
    await this.waitRunning(id);
  }

  async leader(): Promise<NodeId | null> {
    return (await this.processes.leader())?.id ?? null;
  }

  async waitForLeader(timeoutMs: number): Promise<NodeId> {
    const leader = await this.processes.waitForLeader(timeoutMs);
    if (!leader) throw new Error(`no leader within ${timeoutMs} ms`);
    return leader.id;
  }

  /** commitIndex and lastApplied from /raft/status (null when the node does not answer). */
  async progress(id: NodeId): Promise<{ commitIndex: number; lastApplied: number } | null> {
    const url = `${this.processes.raftUrl(id)}/raft/status`;
    if (this.netns) return (await this.netns.getJson(url, 1_000)) as { commitIndex: number; lastApplied: number } | null;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return (await res.json()) as { commitIndex: number; lastApplied: number };
    } catch {
      return null;
    }
  }

  /** Sets a node's traffic drops (core/src/live.ts's terms; {} heals it); returns how it was done. */
  async setFaults(id: NodeId, faults: LiveFaults): Promise<string[]> {
    if (this.netns) return (await this.netns.network.setDrops(id, faults)).map((rule) => `nft ${rule}`);
    if (!this.isRunning(id)) return [];
    const url = `${this.processes.raftUrl(id)}/admin/faults`;
    let status = 0;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify(faults),
        signal: AbortSignal.timeout(3_000),
      });
      status = res.status;
    } catch {
      // the node died meanwhile: nothing to undo on it
    }
    if (status !== 200 && this.isRunning(id)) throw new Error(`fault endpoint of ${id} answered ${status}`);
    return [`POST ${url} ${JSON.stringify(faults)}`];
  }

  /** Every cut, pause and squeeze undone (the nodes that are down stay down). */
  async healAll(): Promise<void> {
    if (this.netns) {
      for (const id of this.nodeIds) if (this.netns.isPaused(id)) this.netns.resume(id);
      for (const id of this.nodeIds) await this.netns.network.unsqueeze(id);
      await this.netns.network.healDrops();
      return;
    }
    for (const id of this.nodeIds) await this.setFaults(id, {});
  }

  /** Stops every node (SIGKILL: nothing to wait for), removes the network (netns) and the data. */
  async destroy(): Promise<void> {
    if (this.netns) await this.netns.stop({ kill: true });
    else await Promise.all(this.processes.specs.map((s) => this.processes.kill(s.id, 'SIGKILL')));
    for (const log of this.logs.values()) log.end();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async waitRunning(id: NodeId): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (this.processes.state(id) !== 'running') {
      if (this.processes.state(id) === 'stopped') throw new Error(`${id} exited while starting`);
      if (Date.now() > deadline) throw new Error(`${id} did not serve within 20 s`);
      await sleep(50);
    }
  }
}

/** A free KV and Raft port for one more node (20000-28999, below the ephemeral range), none of `taken`. */
async function freePortPair(taken: readonly number[]): Promise<[number, number]> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const kv = 20_000 + Math.floor(Math.random() * 4_000);
    const raft = kv + 5_000;
    if (taken.includes(kv) || taken.includes(raft)) continue;
    if ((await portFree(kv, host)) && (await portFree(raft, host))) return [kv, raft];
  }
  throw new Error('no free ports for a new node');
}

/** KV and Raft port bases with all 2n ports free, in 20000-28999 (below the ephemeral range). */
async function choosePorts(n: number): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const kv = 20_000 + Math.floor(Math.random() * 400) * 10;
    const raft = kv + 5_000;
    const ports = Array.from({ length: n }, (_, i) => [kv + i, raft + i]).flat();
    if ((await Promise.all(ports.map((p) => portFree(p, host)))).every(Boolean)) return [kv, raft];
  }
  throw new Error('no free ports for the nemesis cluster');
}
