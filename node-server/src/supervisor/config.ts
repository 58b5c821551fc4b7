/**
 * The supervisor's configuration (`npm start`), read once from the environment into a frozen
 * object; invalid values fail fast naming the variable (as the node's config does).
 *
 *   START_PORT (else PORT)  8080          the supervisor's port (page and /api); it listens on 127.0.0.1 only
 *   START_KV_PORT           8081          KV port of n1 (n2, n3 on the next two)
 *   START_RAFT_PORT         KV + 1000     Raft port of n1 (n2, n3 on the next two)
 *   RAFT_DATA_DIR           ./data        nodes' data (<dir>/<id>), kept across runs
 *   RAFT_CLUSTER_TOKEN      random        the cluster token (a new random one per run unless given)
 *   RAFT_CORS_ORIGINS       none          more page origins to allow (e.g. Vite's dev server)
 *   START_PLAYGROUND_DIR    playground/dist  the static page to serve; when set, nothing is built
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import type { Env } from '../config';
import { EnvConfigError, port, read, readOrigins } from '../config';
import { repoRoot } from './node-processes';

export interface SupervisorConfig {
  host: string;
  port: number;
  /** The nodes started at first (n1..n3). */
  nodeCount: number;
  /** Most nodes, the ones added later (POST /api/nodes) included. */
  nodesMax: number;
  kvPortBase: number;
  raftPortBase: number;
  dataDir: string;
  token: string;
  tokenGenerated: boolean;
  /** Origins the nodes and the supervisor allow: the supervisor's own, plus RAFT_CORS_ORIGINS. */
  origins: readonly string[];
  playgroundDir: string;
  /** Build playground/dist when it is missing or older than its sources (not for START_PLAYGROUND_DIR). */
  buildPlayground: boolean;
}

const nodeCount = 3;
const nodesMax = 9;

export function loadSupervisorConfig(env: Env = process.env): Readonly<SupervisorConfig> {
  const host = '127.0.0.1';
  const ownPort = read(env, 'START_PORT', port, read(env, 'PORT', port, 8080));
  const kvPortBase = read(env, 'START_KV_PORT', port.max(65535 - nodeCount), 8081);
  const raftPortBase = read(env, 'START_RAFT_PORT', port.max(65535 - nodeCount), kvPortBase + 1000);
  const used = [ownPort, ...Array.from({ length: nodeCount }, (_, i) => [kvPortBase + i, raftPortBase + i]).flat()];
  if (new Set(used).size !== used.length) {
    throw new EnvConfigError(`START_PORT (${ownPort}), START_KV_PORT (${kvPortBase}..${kvPortBase + nodeCount - 1}) and START_RAFT_PORT (${raftPortBase}..) overlap`);
  }
  const given = read<string | null>(env, 'RAFT_CLUSTER_TOKEN', z.string().min(8, 'must be at least 8 characters'), null);
  const customDir = read<string | null>(env, 'START_PLAYGROUND_DIR', z.string().min(1), null);
  const own = [`http://${host}:${ownPort}`, `http://localhost:${ownPort}`];
  const config: SupervisorConfig = {
    host,
    port: ownPort,
    nodeCount,
    nodesMax,
    kvPortBase,
    raftPortBase,
    dataDir: path.resolve(read(env, 'RAFT_DATA_DIR', z.string().min(1), path.join(repoRoot, 'data'))),
    token: given ?? randomBytes(24).toString('hex'),
    tokenGenerated: given === null,
    origins: [...new Set([...own, ...readOrigins(env)])],
    playgroundDir: customDir ? path.resolve(customDir) : path.join(repoRoot, 'playground/dist'),
    buildPlayground: customDir === null,
  };
  return Object.freeze(config);
}
