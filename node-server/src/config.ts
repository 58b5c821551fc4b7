/**
 * Node configuration, read once from the environment (docs/configuration.md) and validated with zod
 * into a frozen object. Nothing else in node-server reads process.env. Invalid values fail fast
 * with a message that names the variable.
 */
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { z } from 'zod';
import { snapshotChunkBytesDefault, snapshotDeltaRatioDefault } from '@raft-kv/core';

export interface PeerConfig {
  id: string;
  /** Base URL of the peer's Raft port, e.g. http://127.0.0.1:9082. */
  raftUrl: string;
  /** Base URL of the peer's KV port: the leader hint clients get. */
  kvUrl: string;
}

/** PEM text of a certificate (chain) and its private key. */
export interface TlsIdentity {
  cert: string;
  key: string;
}

/** Mutual TLS on the Raft port: this node's identity, and the CA every peer's certificate must chain to. */
export interface RaftTls extends TlsIdentity {
  ca: string;
}

export interface NodeConfig {
  nodeId: string;
  kvPort: number;
  raftPort: number;
  bindHost: string;
  /** This node's own KV and Raft URLs as others should reach them. */
  kvUrl: string;
  raftUrl: string;
  peers: readonly PeerConfig[];
  /**
   * RAFT_JOIN: this node starts with no voters and joins a running cluster once a leader adds it
   * (it never campaigns before it is a voter in its own configuration). PEERS then only says how to
   * reach members; otherwise PEERS and this node are the initial voters.
   */
  join: boolean;
  /**
   * RAFT_TLS_CERT/KEY/CA: the Raft port serves HTTPS and requires a client certificate signed by
   * the CA; towards peers (https:// URLs) this node presents its own certificate. Null: plain HTTP.
   */
  raftTls: RaftTls | null;
  /** KV_TLS_CERT/KEY: the KV port serves HTTPS. Null: plain HTTP. */
  kvTls: TlsIdentity | null;
  /** `<RAFT_DATA_DIR>/<NODE_ID>`. */
  dataDir: string;
  /**
   * When to snapshot (see core's SnapshotPolicy): after RAFT_SNAPSHOT_THRESHOLD applied entries when
   * set, and by size, once the log since the last snapshot holds RAFT_SNAPSHOT_LOG_BYTES and
   * RAFT_SNAPSHOT_LOG_RATIO times the last snapshot's size.
   */
  snapshotEntries: number | null;
  snapshotLogBytes: number;
  snapshotLogRatio: number;
  /** Entries kept in the log before a snapshot, for followers slightly behind. */
  snapshotRetainEntries: number;
  /** About how large each snapshot chunk (on disk, and in one InstallSnapshot) is. */
  snapshotChunkBytes: number;
  /** Snapshots go to disk as delta runs while those add up to less than this times the whole state's file (0: never). */
  snapshotDeltaRatio: number;
  fsync: boolean;
  clusterToken: string | null;
  tickMs: number;
  heartbeatTicks: number;
  electionTimeoutTicksMin: number;
  electionTimeoutTicksMax: number;
  appendRetransmitTicks: number;
  snapshotRetransmitTicks: number;
  entriesPerMessageMax: number;
  inflightMessagesMax: number;
  uncommittedEntriesMax: number;
  rpcTimeoutMs: number;
  /** Most messages queued or in flight to one peer; more are dropped (Raft retransmits). */
  peerQueueMax: number;
  writeTimeoutMs: number;
  readTimeoutMs: number;
  keyBytesMax: number;
  valueBytesMax: number;
  kvBodyBytesMax: number;
  /**
   * How long a client session lives without a command (docs/clients.md). The leader writes it into
   * the entry that opens a session, so every replica expires that session at the same point.
   */
  sessionTimeoutMs: number;
  /** Watchers (GET /watch) one node serves at once; more are answered 503. */
  watchersMax: number;
  /** A watcher more than this many entries behind the node (its socket full) is closed. */
  watchLagEntriesMax: number;
  raftBodyBytesMax: number;
  walSegmentBytesMax: number;
  /**
   * RAFT_WAL_SYNC_WRITE_MS: a WAL record is written on the event loop while at most half of the
   * recent such writes took longer than this, in ms (a record of several entries: a quarter of
   * this); otherwise in libuv's thread pool (host/wal-write-mode.ts). 0: always the pool.
   */
  walSyncWriteMsMax: number;
  /** V8's heap growing factor after a full collection once the heap is large, as a percentage above 1 (heap-growing.ts says why); 0 lets V8 choose. */
  heapGrowingPercent: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  logFormat: 'json' | 'pretty';
  /** Log one line per KV request (docs/api.md, Conventions); off only for measurements. */
  accessLog: boolean;
  /**
   * KV_DIRECT_HTTP: the KV port reads the simplest requests for its hot routes itself, without
   * node:http's streams (http/direct-http.ts); off sends every request through node:http. Not used with KV TLS.
   */
  kvDirectHttp: boolean;
  /** Browser origins allowed on the KV and Raft ports (CORS, and the socket.io handshake). */
  corsOrigins: readonly string[];
  /** GET/POST /admin/faults on the Raft port (loopback callers only; the cluster token when set). */
  faultInjection: boolean;
  /** Started by a supervisor: stop when stdin closes (the supervisor is gone), so no node outlives it. */
  supervised: boolean;
  /**
   * UNSAFE, for the nemesis test that shows its check can fail: answer "linearizable" reads from
   * local state without ReadIndex, as the reference implementation did (stale on a deposed leader
   * or a lagging follower).
   */
  unsafeLocalReads: boolean;
}

export class EnvConfigError extends Error {
  override name = 'EnvConfigError';
}

export type Env = Record<string, string | undefined>;

export const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().min(1);
export const bool = z.enum(['1', '0', 'true', 'false', 'on', 'off', 'yes', 'no']).transform((v) => ['1', 'true', 'on', 'yes'].includes(v));
const url = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));
export const idPattern = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or underscores');

/** Parses one variable (or returns the fallback when unset or empty), naming the variable on error. */
export function read<T>(env: Env, name: string, schema: z.ZodType<T>, fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const parsed = schema.safeParse(raw.trim());
  if (!parsed.success) throw new EnvConfigError(`${name}=${JSON.stringify(raw)} is invalid: ${parsed.error.issues[0]?.message ?? 'bad value'}`);
  return parsed.data;
}

function readList(env: Env, name: string): string[] | null {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return null;
  return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** RAFT_CORS_ORIGINS: exact origins (scheme://host[:port]); a wildcard is refused on purpose. */
export function readOrigins(env: Env): string[] {
  return (readList(env, 'RAFT_CORS_ORIGINS') ?? []).map((raw) => {
    let origin: string | null = null;
    try {
      const u = new URL(raw);
      if ((u.protocol === 'http:' || u.protocol === 'https:') && (u.pathname === '/' || u.pathname === '') && !u.search && !u.hash) origin = u.origin;
    } catch {
      // not a URL
    }
    return origin ?? fail(`RAFT_CORS_ORIGINS: ${JSON.stringify(raw)} is not an origin like http://127.0.0.1:8080 (no path; "*" is not accepted)`);
  });
}

function fail(message: string): never {
  throw new EnvConfigError(message);
}

/**
 * A peer's KV URL defaults to its Raft URL with the port minus 1000 (the default RAFT_PORT offset),
 * in this node's own KV scheme (a cluster runs its KV ports all with TLS or all without).
 */
function derivedKvUrl(raftUrl: string, name: string, kvScheme: 'http' | 'https'): string {
  const u = new URL(raftUrl);
  const raftPort = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  if (raftPort <= 1000) fail(`${name}: cannot derive the KV port of ${raftUrl} (Raft port - 1000); set PEER_KV_URLS`);
  return `${kvScheme}://${u.hostname}:${raftPort - 1000}`;
}

/** Reads a PEM file named by `name`, failing with the variable's name if it is missing or not PEM. */
function readPem(env: Env, name: string): string | null {
  const file = env[name]?.trim();
  if (!file) return null;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return fail(`${name}=${JSON.stringify(file)}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (!text.includes('-----BEGIN ')) fail(`${name}=${JSON.stringify(file)} is not a PEM file`);
  return text;
}

/** All of a TLS group's variables or none; the key must match the certificate (checked here, not at the first connection). */
function readTlsGroup<T extends Record<string, string>>(env: Env, names: { [K in keyof T]: string }): T | null {
  const entries = Object.entries(names).map(([field, name]) => [field, name, readPem(env, name)] as const);
  const given = entries.filter(([, , pem]) => pem !== null);
  if (given.length === 0) return null;
  if (given.length < entries.length) fail(`${entries.map(([, name]) => name).join(', ')} go together: ${entries.filter(([, , pem]) => pem === null).map(([, name]) => name).join(', ')} missing`);
  const group = Object.fromEntries(entries.map(([field, , pem]) => [field, pem])) as T;
  try {
    tls.createSecureContext(group);
  } catch (err) {
    fail(`${entries.map(([, name]) => name).join(', ')}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return group;
}

function readPeers(env: Env, raftScheme: 'http' | 'https', kvScheme: 'http' | 'https'): PeerConfig[] {
  const listName = env.PEERS !== undefined && env.PEERS.trim() !== '' ? 'PEERS' : 'RAFT_NODES';
  const raftUrls = (readList(env, listName) ?? []).map((u) => {
    const parsed = url.safeParse(u);
    if (!parsed.success) fail(`${listName}: ${JSON.stringify(u)} is not an http(s) URL`);
    if (!parsed.data.startsWith(`${raftScheme}://`)) {
      fail(raftScheme === 'https'
        ? `${listName}: ${JSON.stringify(u)} must be https:// (RAFT_TLS_CERT is set: peers speak TLS)`
        : `${listName}: ${JSON.stringify(u)} is https://, which needs RAFT_TLS_CERT, RAFT_TLS_KEY and RAFT_TLS_CA`);
    }
    return parsed.data;
  });
  const ids = readList(env, 'PEER_IDS');
  if (ids && ids.length !== raftUrls.length) fail(`PEER_IDS has ${ids.length} ids but ${listName} has ${raftUrls.length} URLs`);
  const kvUrls = readList(env, 'PEER_KV_URLS');
  if (kvUrls && kvUrls.length !== raftUrls.length) fail(`PEER_KV_URLS has ${kvUrls.length} URLs but ${listName} has ${raftUrls.length}`);
  return raftUrls.map((raftUrl, i) => {
    const kvUrl = kvUrls ? kvUrls[i]! : derivedKvUrl(raftUrl, listName, kvScheme);
    if (kvUrls && !url.safeParse(kvUrl).success) fail(`PEER_KV_URLS: ${JSON.stringify(kvUrl)} is not an http(s) URL`);
    // Without PEER_IDS, a peer's id is what its own NODE_ID defaults to: node-<kvPort>.
    const id = ids ? ids[i]! : `node-${new URL(kvUrl).port}`;
    if (!idPattern.safeParse(id).success) fail(`PEER_IDS: ${JSON.stringify(id)} is not a valid node id`);
    return { id, raftUrl, kvUrl: kvUrl.replace(/\/+$/, '') };
  });
}

/** The host others should use for this node: the bind address, unless it is a wildcard. */
function defaultAdvertiseHost(bindHost: string): string {
  if (bindHost === '0.0.0.0' || bindHost === '::') return 'localhost';
  return bindHost.includes(':') ? `[${bindHost}]` : bindHost;
}

export function loadConfig(env: Env = process.env): Readonly<NodeConfig> {
  const kvPort = read(env, 'KVSTORE_PORT', port, read(env, 'PORT', port, 8080));
  const raftPort = read(env, 'RAFT_PORT', port, kvPort + 1000);
  if (raftPort === kvPort) fail(`RAFT_PORT must differ from the KV port (${kvPort})`);
  if (raftPort > 65535) fail(`RAFT_PORT defaults to KV port + 1000 = ${raftPort}, which is not a port; set RAFT_PORT`);
  const nodeId = read(env, 'NODE_ID', idPattern, `node-${kvPort}`);
  const bindHost = read(env, 'BIND_ADDRESS', z.string().min(1), '127.0.0.1');
  const advertiseHost = read(env, 'ADVERTISE_HOST', z.string().min(1), defaultAdvertiseHost(bindHost));
  const raftTls = readTlsGroup<{ cert: string; key: string; ca: string }>(env, { cert: 'RAFT_TLS_CERT', key: 'RAFT_TLS_KEY', ca: 'RAFT_TLS_CA' });
  const kvTls = readTlsGroup<{ cert: string; key: string }>(env, { cert: 'KV_TLS_CERT', key: 'KV_TLS_KEY' });
  const raftScheme = raftTls ? 'https' : 'http';
  const kvScheme = kvTls ? 'https' : 'http';
  const kvUrl = read(env, 'KV_ADVERTISE_URL', url, `${kvScheme}://${advertiseHost}:${kvPort}`);
  const raftUrl = read(env, 'RAFT_ADVERTISE_URL', url, `${raftScheme}://${advertiseHost}:${raftPort}`);
  const peers = readPeers(env, raftScheme, kvScheme);
  const ids = new Set([nodeId, ...peers.map((p) => p.id)]);
  if (ids.size !== peers.length + 1) fail(`PEER_IDS must be distinct and must not include NODE_ID (${nodeId})`);

  const tickMs = read(env, 'RAFT_TICK_MS', positiveInt.max(1000), 10);
  const ticks = (name: string, fallbackMs: number): number => {
    const ms = read(env, name, positiveInt, fallbackMs);
    if (ms % tickMs !== 0) fail(`${name}=${ms} must be a multiple of RAFT_TICK_MS (${tickMs})`);
    return ms / tickMs;
  };
  const heartbeatTicks = ticks('RAFT_HEARTBEAT_MS', 100);
  const electionTimeoutTicksMin = ticks('RAFT_ELECTION_TIMEOUT_MIN_MS', 600);
  const electionTimeoutTicksMax = ticks('RAFT_ELECTION_TIMEOUT_MAX_MS', 1200);
  if (electionTimeoutTicksMax < electionTimeoutTicksMin) fail('RAFT_ELECTION_TIMEOUT_MAX_MS must be >= RAFT_ELECTION_TIMEOUT_MIN_MS');
  if (electionTimeoutTicksMin <= heartbeatTicks) fail('RAFT_ELECTION_TIMEOUT_MIN_MS must be greater than RAFT_HEARTBEAT_MS');
  const rpcTimeoutMs = read(env, 'RAFT_RPC_TIMEOUT_MS', positiveInt, 500);

  const config: NodeConfig = {
    nodeId,
    kvPort,
    raftPort,
    bindHost,
    kvUrl,
    raftUrl,
    peers,
    join: read(env, 'RAFT_JOIN', bool, false),
    raftTls,
    kvTls,
    dataDir: path.resolve(read(env, 'RAFT_DATA_DIR', z.string().min(1), './data'), nodeId),
    snapshotEntries: read<number | null>(env, 'RAFT_SNAPSHOT_THRESHOLD', positiveInt, null),
    snapshotLogBytes: read(env, 'RAFT_SNAPSHOT_LOG_BYTES', positiveInt, 8 * 1024 * 1024),
    snapshotLogRatio: read(env, 'RAFT_SNAPSHOT_LOG_RATIO', z.coerce.number().min(0).max(100), 0.03),
    snapshotRetainEntries: read(env, 'RAFT_SNAPSHOT_RETAIN_ENTRIES', z.coerce.number().int().min(0), 5000),
    snapshotChunkBytes: read(env, 'RAFT_SNAPSHOT_CHUNK_BYTES', positiveInt.min(1024).max(64 * 1024 * 1024), snapshotChunkBytesDefault),
    snapshotDeltaRatio: read(env, 'RAFT_SNAPSHOT_DELTA_RATIO', z.coerce.number().min(0).max(100), snapshotDeltaRatioDefault),
    fsync: read(env, 'RAFT_FSYNC', bool, true),
    clusterToken: read<string | null>(env, 'RAFT_CLUSTER_TOKEN', z.string().min(8, 'must be at least 8 characters'), null),
    tickMs,
    heartbeatTicks,
    electionTimeoutTicksMin,
    electionTimeoutTicksMax,
    // A follower that answers nothing for one RPC timeout is probed again from its match index.
    appendRetransmitTicks: Math.max(1, Math.ceil(rpcTimeoutMs / tickMs)),
    snapshotRetransmitTicks: ticks('RAFT_SNAPSHOT_RETRANSMIT_MS', 3000),
    entriesPerMessageMax: read(env, 'RAFT_ENTRIES_PER_MESSAGE_MAX', positiveInt.max(65536), 256),
    inflightMessagesMax: read(env, 'RAFT_INFLIGHT_MESSAGES_MAX', positiveInt.max(1024), 64),
    uncommittedEntriesMax: read(env, 'RAFT_UNCOMMITTED_ENTRIES_MAX', positiveInt, 8192),
    rpcTimeoutMs,
    peerQueueMax: read(env, 'RAFT_PEER_QUEUE_MAX', positiveInt, 256),
    writeTimeoutMs: read(env, 'KV_WRITE_TIMEOUT_MS', positiveInt, 2000),
    readTimeoutMs: read(env, 'KV_READ_TIMEOUT_MS', positiveInt, 2000),
    keyBytesMax: read(env, 'KV_KEY_BYTES_MAX', positiveInt, 1024),
    valueBytesMax: read(env, 'KV_VALUE_BYTES_MAX', positiveInt, 64 * 1024),
    kvBodyBytesMax: read(env, 'KV_BODY_BYTES_MAX', positiveInt, 128 * 1024),
    sessionTimeoutMs: read(env, 'KV_SESSION_TIMEOUT_MS', positiveInt.min(1000), 10 * 60 * 1000),
    watchersMax: read(env, 'KV_WATCHERS_MAX', positiveInt.max(100_000), 1024),
    watchLagEntriesMax: read(env, 'KV_WATCH_LAG_ENTRIES_MAX', positiveInt, 100_000),
    raftBodyBytesMax: read(env, 'RAFT_BODY_BYTES_MAX', positiveInt, 256 * 1024 * 1024),
    walSegmentBytesMax: read(env, 'RAFT_WAL_SEGMENT_BYTES_MAX', positiveInt.min(4096), 16 * 1024 * 1024),
    walSyncWriteMsMax: read(env, 'RAFT_WAL_SYNC_WRITE_MS', z.coerce.number().min(0).max(1000), 2),
    heapGrowingPercent: read(env, 'RAFT_HEAP_GROWING_PERCENT', z.coerce.number().int().min(0).max(300), 20),
    logLevel: read(env, 'LOG_LEVEL', z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']), 'info'),
    logFormat: read(env, 'LOG_FORMAT', z.enum(['json', 'pretty']), process.stdout.isTTY ? 'pretty' : 'json'),
    accessLog: read(env, 'KV_ACCESS_LOG', bool, true),
    kvDirectHttp: read(env, 'KV_DIRECT_HTTP', bool, true),
    corsOrigins: readOrigins(env),
    faultInjection: read(env, 'RAFT_FAULT_INJECTION', bool, false),
    supervised: read(env, 'RAFT_SUPERVISED', bool, false),
    unsafeLocalReads: read(env, 'RAFT_UNSAFE_LOCAL_READS', bool, false),
  };
  // A chunk travels in one InstallSnapshot body, with room for the JSON around it.
  if (config.snapshotChunkBytes * 2 > config.raftBodyBytesMax) fail('RAFT_SNAPSHOT_CHUNK_BYTES must be at most half of RAFT_BODY_BYTES_MAX');
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
