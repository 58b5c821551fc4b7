/**
 * A cluster of real node processes, each in a network namespace of its own as if on its own host:
 * the network (network.ts), the nodes started inside it through the shared NodeProcesses (each
 * bound to its own address, every node on the same ports, peers named by address), optionally TLS
 * on both ports with certificates made for the run, and the client gateway (gateway.ts) through
 * which this process reaches the nodes from the client namespace.
 *
 * Used by `npm run cluster -- --netns`, the nemesis (`--net netns`) and the tests. stop() removes
 * everything it made; whatever a crashed run left is removed by the next start (network.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { ApiResponse, NodeId } from '@raft-kv/core';
import type { CertFiles } from '../certs';
import { makeCa, makeCert, tlsEnv } from '../certs';
import type { Agents, HttpMethod } from '../http/client-request';
import { getJson, jsonRequest } from '../http/client-request';
import type { NodeState } from '../supervisor/node-processes';
import { NodeProcesses, repoRoot } from '../supervisor/node-processes';
import { GatewayAgent, GatewayHttpsAgent } from './gateway-client';
import { NetnsNetwork } from './network';
import type { NetnsPlan } from './plan';
import { nodeOf, planNetns } from './plan';

const gatewayScript = path.join(repoRoot, 'node-server/src/netns/gateway.ts');
/** Every node uses the same ports: each has an address of its own. */
export const netnsKvPort = 8080;
export const netnsRaftPort = 9080;
const startTimeoutMs = 30_000;

export interface NetnsClusterOptions {
  nodeIds: readonly NodeId[];
  /** Names every namespace (plan.ts); one live run per prefix. */
  prefix: string;
  /** RAFT_DATA_DIR of every node. */
  dataDir: string;
  /** Environment for every node. */
  env?: Record<string, string>;
  /** TLS on both ports of every node, with a CA and certificates made in `certDir` for this run. */
  tls?: boolean;
  /** Where the certificates go (default `<dataDir>/certs`). */
  certDir?: string;
  /** More environment for one node, on top of the rest (tests give one node a certificate from another CA). */
  nodeEnv?: (id: NodeId, certs: ClusterCerts | null) => Record<string, string>;
  subnet?: string;
  stateDir?: string;
  onLine?: (id: NodeId, line: string) => void;
  onExit?: (id: NodeId, code: number | null, signal: NodeJS.Signals | null) => void;
  log?: (line: string) => void;
}

/** The run's certificates: the CA, each node's, and one for clients (the Raft port asks every caller for one). */
export interface ClusterCerts {
  ca: CertFiles;
  nodes: Map<NodeId, CertFiles>;
  client: CertFiles;
}

export class NetnsCluster {
  readonly nodeIds: readonly NodeId[];
  readonly agents: Agents;
  private gateway: ChildProcess | null = null;
  private readonly paused = new Set<NodeId>();

  private constructor(
    readonly network: NetnsNetwork,
    readonly processes: NodeProcesses,
    readonly certs: ClusterCerts | null,
  ) {
    this.nodeIds = processes.specs.map((s) => s.id);
    const socket = network.gatewaySocket;
    const tls = certs ? { ca: fs.readFileSync(certs.ca.cert), cert: fs.readFileSync(certs.client.cert), key: fs.readFileSync(certs.client.key) } : {};
    this.agents = {
      http: new GatewayAgent(socket, { keepAlive: true, maxSockets: 64 }),
      https: new GatewayHttpsAgent(socket, { keepAlive: true, maxSockets: 64, ...tls }),
    };
  }

  get plan(): NetnsPlan {
    return this.network.plan;
  }

  /** Builds the network, starts the gateway and every node, and waits until each serves. */
  static async start(options: NetnsClusterOptions): Promise<NetnsCluster> {
    const plan = planNetns(options.prefix, options.nodeIds, options.subnet);
    const network = await NetnsNetwork.create(plan, { stateDir: options.stateDir, log: options.log });
    let cluster: NetnsCluster | null = null;
    try {
      const certs = options.tls ? makeCerts(plan, options.certDir ?? path.join(options.dataDir, 'certs')) : null;
      const scheme = certs ? 'https' : 'http';
      let self: NetnsCluster | null = null;
      const processes = new NodeProcesses({
        nodes: plan.nodes.map((n) => ({ id: n.id, kvPort: netnsKvPort, raftPort: netnsRaftPort, host: n.address })),
        host: plan.nodes[0]!.address,
        dataDir: options.dataDir,
        env: { LOG_FORMAT: 'json', ...options.env },
        nodeEnv: (id) => ({ ...(certs ? tlsEnv(certs.ca, certs.nodes.get(id)!) : {}), ...options.nodeEnv?.(id, certs) }),
        launchPrefix: (id) => network.execPrefix(nodeOf(plan, id).namespace),
        schemes: { kv: scheme, raft: scheme },
        getJson: (url, timeoutMs) => (self ? getJson(url, timeoutMs, self.agents) : Promise.resolve(null)),
        onLine: options.onLine,
        onExit: (id, code, signal) => {
          self?.paused.delete(id);
          options.onExit?.(id, code, signal);
        },
      });
      cluster = self = new NetnsCluster(network, processes, certs);
      // The nodes start while the gateway does (only this process's requests need it).
      for (const id of cluster.nodeIds) processes.start(id);
      await cluster.startGateway();
      for (const id of cluster.nodeIds) await cluster.waitRunning(id);
      return cluster;
    } catch (err) {
      if (cluster) await cluster.stop();
      else await network.destroy();
      throw err;
    }
  }

  private async startGateway(): Promise<void> {
    const socket = this.network.gatewaySocket;
    const [file, ...args] = [...this.network.execPrefix(this.plan.clientNamespace), process.execPath, '--import', 'tsx', gatewayScript, socket];
    const child = spawn(file!, args, { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    this.gateway = child;
    child.stdin!.on('error', () => {});
    const stderr: string[] = [];
    readline.createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`client gateway did not start within ${startTimeoutMs} ms: ${stderr.join(' ')}`)), startTimeoutMs);
      readline.createInterface({ input: child.stdout! }).once('line', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`client gateway exited (${code}): ${stderr.join(' ')}`));
      });
    });
  }

  kvUrl(id: NodeId): string {
    return this.processes.kvUrl(id);
  }

  raftUrl(id: NodeId): string {
    return this.processes.raftUrl(id);
  }

  address(id: NodeId): string {
    return nodeOf(this.plan, id).address;
  }

  pid(id: NodeId): number | null {
    return this.processes.pid(id);
  }

  state(id: NodeId): NodeState {
    return this.processes.state(id);
  }

  /** A request from the client namespace (status 0 when it got no answer; see client-request.ts). */
  request(url: string, method: HttpMethod, body: unknown, timeoutMs: number): Promise<ApiResponse> {
    return jsonRequest(url, method, body, timeoutMs, this.agents);
  }

  getJson(url: string, timeoutMs: number): Promise<unknown> {
    return getJson(url, timeoutMs, this.agents);
  }

  /** Starts a stopped node again (same id, same data) and waits until it serves. */
  async restart(id: NodeId): Promise<void> {
    this.processes.start(id);
    await this.waitRunning(id);
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill(id: NodeId): Promise<string> {
    const pid = this.pid(id);
    await this.processes.kill(id, 'SIGKILL');
    return `SIGKILL pid ${pid ?? '-'} (${id})`;
  }

  /** SIGSTOP: the process stays, does nothing, answers nothing; the kernel still accepts connections for it. */
  pause(id: NodeId): string {
    return this.signal(id, 'SIGSTOP', () => this.paused.add(id));
  }

  resume(id: NodeId): string {
    return this.signal(id, 'SIGCONT', () => this.paused.delete(id));
  }

  isPaused(id: NodeId): boolean {
    return this.paused.has(id);
  }

  private signal(id: NodeId, signal: NodeJS.Signals, done: () => void): string {
    const pid = this.pid(id);
    if (pid === null) return `${signal} not sent: ${id} is not running`;
    try {
      process.kill(pid, signal);
      done();
    } catch {
      return `${signal} not sent: pid ${pid} (${id}) is gone`;
    }
    return `${signal} pid ${pid} (${id})`;
  }

  async waitRunning(id: NodeId, timeoutMs = startTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.processes.state(id) !== 'running') {
      if (this.processes.state(id) === 'stopped') throw new Error(`${id} exited while starting`);
      if (Date.now() > deadline) throw new Error(`${id} did not serve within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Stops the nodes (SIGCONT first for any paused one, then SIGTERM, or SIGKILL with `kill`), the
   * gateway, and removes the network and the state file.
   */
  async stop(options: { kill?: boolean } = {}): Promise<void> {
    for (const id of [...this.paused]) this.resume(id);
    if (options.kill) await Promise.all(this.nodeIds.map((id) => this.processes.kill(id, 'SIGKILL')));
    else await this.processes.stopAll(3_000);
    this.agents.http.destroy();
    this.agents.https.destroy();
    const gateway = this.gateway;
    if (gateway && gateway.exitCode === null && gateway.signalCode === null) {
      const exited = new Promise((resolve) => gateway.once('exit', resolve));
      gateway.kill('SIGKILL');
      await exited;
    }
    await this.network.destroy();
  }
}

function makeCerts(plan: NetnsPlan, dir: string): ClusterCerts {
  const ca = makeCa(dir);
  const nodes = new Map(plan.nodes.map((n) => [n.id, makeCert(dir, ca, n.id, [n.address, n.id])] as const));
  return { ca, nodes, client: makeCert(dir, ca, 'client', [plan.clientAddress]) };
}
