import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeCert } from '../src/certs';
import { EnvConfigError, loadConfig } from '../src/config';
import { loadSupervisorConfig } from '../src/supervisor/config';

const peers = { PEERS: 'http://127.0.0.1:9082,http://127.0.0.1:9083', PEER_IDS: 'n2,n3' };

describe('loadConfig', () => {
  it('gives the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      kvPort: 8080, raftPort: 9080, nodeId: 'node-8080', bindHost: '127.0.0.1', kvUrl: 'http://127.0.0.1:8080',
      raftUrl: 'http://127.0.0.1:9080', peers: [], snapshotEntries: null, snapshotLogBytes: 8 * 1024 * 1024, snapshotLogRatio: 0.03, snapshotRetainEntries: 5000, snapshotChunkBytes: 64 * 1024, snapshotDeltaRatio: 2, fsync: true, clusterToken: null,
      tickMs: 10, heartbeatTicks: 10, electionTimeoutTicksMin: 60, electionTimeoutTicksMax: 120, rpcTimeoutMs: 500,
      writeTimeoutMs: 2000, entriesPerMessageMax: 256, inflightMessagesMax: 64,
    });
    expect(c.dataDir).toBe(path.resolve('./data', 'node-8080'));
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.peers)).toBe(true);
  });

  it('reads ports: KVSTORE_PORT, else PORT; RAFT_PORT defaults to KV + 1000', () => {
    expect(loadConfig({ PORT: '7000' })).toMatchObject({ kvPort: 7000, raftPort: 8000, nodeId: 'node-7000' });
    expect(loadConfig({ PORT: '7000', KVSTORE_PORT: '8081' })).toMatchObject({ kvPort: 8081, raftPort: 9081 });
    expect(loadConfig({ KVSTORE_PORT: '8081', RAFT_PORT: '9999' }).raftPort).toBe(9999);
  });

  it('reads the node id, data dir, snapshot threshold, fsync and token', () => {
    const c = loadConfig({ NODE_ID: 'n1', RAFT_DATA_DIR: '/tmp/x', RAFT_SNAPSHOT_THRESHOLD: '20', RAFT_FSYNC: 'off', RAFT_CLUSTER_TOKEN: 'secret-token' });
    expect(c).toMatchObject({ nodeId: 'n1', dataDir: '/tmp/x/n1', snapshotEntries: 20, fsync: false, clusterToken: 'secret-token' });
  });

  it('reads the snapshot policy and refuses a chunk that could not travel in one RPC body', () => {
    const c = loadConfig({ RAFT_SNAPSHOT_LOG_BYTES: '1048576', RAFT_SNAPSHOT_LOG_RATIO: '0.25', RAFT_SNAPSHOT_RETAIN_ENTRIES: '0', RAFT_SNAPSHOT_CHUNK_BYTES: '65536' });
    expect(c).toMatchObject({ snapshotEntries: null, snapshotLogBytes: 1048576, snapshotLogRatio: 0.25, snapshotRetainEntries: 0, snapshotChunkBytes: 65536 });
    expect(() => loadConfig({ RAFT_SNAPSHOT_CHUNK_BYTES: '1048576', RAFT_BODY_BYTES_MAX: '1048576' })).toThrow(/RAFT_SNAPSHOT_CHUNK_BYTES/);
    expect(() => loadConfig({ RAFT_SNAPSHOT_LOG_RATIO: '-1' })).toThrow(/RAFT_SNAPSHOT_LOG_RATIO/);
  });

  it('reads peers with ids, derives their KV URLs (Raft port - 1000), and accepts RAFT_NODES as an alias', () => {
    const c = loadConfig({ NODE_ID: 'n1', ...peers });
    expect(c.peers).toEqual([
      { id: 'n2', raftUrl: 'http://127.0.0.1:9082', kvUrl: 'http://127.0.0.1:8082' },
      { id: 'n3', raftUrl: 'http://127.0.0.1:9083', kvUrl: 'http://127.0.0.1:8083' },
    ]);
    expect(loadConfig({ NODE_ID: 'n1', RAFT_NODES: peers.PEERS, PEER_IDS: 'n2,n3' }).peers).toEqual(c.peers);
    const explicit = loadConfig({ NODE_ID: 'n1', ...peers, PEER_KV_URLS: 'http://a:1,http://b:2/' });
    expect(explicit.peers.map((p) => p.kvUrl)).toEqual(['http://a:1', 'http://b:2']);
  });

  it('names peers node-<kvPort> when PEER_IDS is not given (what their NODE_ID defaults to)', () => {
    expect(loadConfig({ PEERS: 'http://h:9082/' }).peers).toEqual([{ id: 'node-8082', raftUrl: 'http://h:9082', kvUrl: 'http://h:8082' }]);
  });

  it('reads bind and advertised addresses', () => {
    expect(loadConfig({ BIND_ADDRESS: '0.0.0.0', KVSTORE_PORT: '8081' })).toMatchObject({ bindHost: '0.0.0.0', kvUrl: 'http://localhost:8081', raftUrl: 'http://localhost:9081' });
    expect(loadConfig({ ADVERTISE_HOST: 'db1.example', KVSTORE_PORT: '8081' }).kvUrl).toBe('http://db1.example:8081');
    expect(loadConfig({ KV_ADVERTISE_URL: 'https://kv.example/', RAFT_ADVERTISE_URL: 'http://r.example:1' })).toMatchObject({ kvUrl: 'https://kv.example', raftUrl: 'http://r.example:1' });
  });

  it('converts timing knobs to ticks', () => {
    const c = loadConfig({ RAFT_TICK_MS: '5', RAFT_HEARTBEAT_MS: '50', RAFT_ELECTION_TIMEOUT_MIN_MS: '300', RAFT_ELECTION_TIMEOUT_MAX_MS: '600', RAFT_RPC_TIMEOUT_MS: '200' });
    expect(c).toMatchObject({ tickMs: 5, heartbeatTicks: 10, electionTimeoutTicksMin: 60, electionTimeoutTicksMax: 120, rpcTimeoutMs: 200, appendRetransmitTicks: 40 });
  });

  it('reads limits and logging knobs', () => {
    const c = loadConfig({
      KV_WRITE_TIMEOUT_MS: '3000', KV_READ_TIMEOUT_MS: '1500', KV_KEY_BYTES_MAX: '10', KV_VALUE_BYTES_MAX: '20', KV_BODY_BYTES_MAX: '30',
      RAFT_ENTRIES_PER_MESSAGE_MAX: '64', RAFT_INFLIGHT_MESSAGES_MAX: '8', RAFT_UNCOMMITTED_ENTRIES_MAX: '100', RAFT_PEER_QUEUE_MAX: '16',
      RAFT_BODY_BYTES_MAX: '1000000', RAFT_WAL_SEGMENT_BYTES_MAX: '65536', LOG_LEVEL: 'warn', LOG_FORMAT: 'pretty', KV_ACCESS_LOG: 'false',
      RAFT_HEAP_GROWING_PERCENT: '0', KV_DIRECT_HTTP: 'off',
    });
    expect(c).toMatchObject({
      writeTimeoutMs: 3000, readTimeoutMs: 1500, keyBytesMax: 10, valueBytesMax: 20, kvBodyBytesMax: 30, entriesPerMessageMax: 64,
      inflightMessagesMax: 8, uncommittedEntriesMax: 100, peerQueueMax: 16, raftBodyBytesMax: 1000000, walSegmentBytesMax: 65536,
      logLevel: 'warn', logFormat: 'pretty', accessLog: false, heapGrowingPercent: 0, kvDirectHttp: false,
    });
    expect(loadConfig({})).toMatchObject({ heapGrowingPercent: 20, kvDirectHttp: true });
  });

  const invalid: [string, Record<string, string>, RegExp][] = [
    ['a port that is not a number', { KVSTORE_PORT: 'http' }, /KVSTORE_PORT/],
    ['a port out of range', { PORT: '70000' }, /PORT/],
    ['RAFT_PORT equal to the KV port', { KVSTORE_PORT: '8081', RAFT_PORT: '8081' }, /RAFT_PORT/],
    ['a default RAFT_PORT past 65535', { KVSTORE_PORT: '65000' }, /RAFT_PORT/],
    ['a node id with spaces', { NODE_ID: 'n 1' }, /NODE_ID/],
    ['a peer that is not a URL', { PEERS: 'localhost:9082' }, /PEERS/],
    ['a RAFT_NODES entry that is not a URL', { RAFT_NODES: 'nope' }, /RAFT_NODES/],
    ['PEER_IDS of another length', { PEERS: 'http://h:9082,http://h:9083', PEER_IDS: 'n2' }, /PEER_IDS/],
    ['PEER_IDS with our own id', { NODE_ID: 'n1', PEERS: 'http://h:9082', PEER_IDS: 'n1' }, /PEER_IDS/],
    ['duplicate PEER_IDS', { PEERS: 'http://h:9082,http://h:9083', PEER_IDS: 'n2,n2' }, /PEER_IDS/],
    ['PEER_KV_URLS of another length', { PEERS: 'http://h:9082', PEER_KV_URLS: 'http://a:1,http://b:2' }, /PEER_KV_URLS/],
    ['a heap growing percent that is not a whole number', { RAFT_HEAP_GROWING_PERCENT: '12.5' }, /RAFT_HEAP_GROWING_PERCENT/],
    ['a zero snapshot threshold', { RAFT_SNAPSHOT_THRESHOLD: '0' }, /RAFT_SNAPSHOT_THRESHOLD/],
    ['a fractional snapshot threshold', { RAFT_SNAPSHOT_THRESHOLD: '2.5' }, /RAFT_SNAPSHOT_THRESHOLD/],
    ['an fsync value that is not a boolean', { RAFT_FSYNC: 'sometimes' }, /RAFT_FSYNC/],
    ['a short cluster token', { RAFT_CLUSTER_TOKEN: 'abc' }, /RAFT_CLUSTER_TOKEN/],
    ['a heartbeat not a multiple of the tick', { RAFT_HEARTBEAT_MS: '105' }, /RAFT_HEARTBEAT_MS/],
    ['an election timeout below the heartbeat', { RAFT_HEARTBEAT_MS: '100', RAFT_ELECTION_TIMEOUT_MIN_MS: '100' }, /RAFT_ELECTION_TIMEOUT_MIN_MS/],
    ['max election timeout below min', { RAFT_ELECTION_TIMEOUT_MIN_MS: '600', RAFT_ELECTION_TIMEOUT_MAX_MS: '500' }, /RAFT_ELECTION_TIMEOUT_MAX_MS/],
    ['a negative write timeout', { KV_WRITE_TIMEOUT_MS: '-1' }, /KV_WRITE_TIMEOUT_MS/],
    ['an unknown log level', { LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    ['an unknown log format', { LOG_FORMAT: 'xml' }, /LOG_FORMAT/],
    ['an advertised URL that is not http', { KV_ADVERTISE_URL: 'ftp://x' }, /KV_ADVERTISE_URL/],
    ['a wildcard CORS origin', { RAFT_CORS_ORIGINS: '*' }, /RAFT_CORS_ORIGINS/],
    ['a CORS origin with a path', { RAFT_CORS_ORIGINS: 'http://127.0.0.1:8080/app' }, /RAFT_CORS_ORIGINS/],
    ['a fault injection value that is not a boolean', { RAFT_FAULT_INJECTION: 'maybe' }, /RAFT_FAULT_INJECTION/],
  ];
  for (const [what, env, name] of invalid) {
    it(`fails fast on ${what}, naming the variable`, () => {
      expect(() => loadConfig(env)).toThrow(EnvConfigError);
      expect(() => loadConfig(env)).toThrow(name);
    });
  }
});

describe('live mode variables', () => {
  it('are off by default and read RAFT_CORS_ORIGINS as exact origins', () => {
    expect(loadConfig({})).toMatchObject({ corsOrigins: [], faultInjection: false, supervised: false });
    const c = loadConfig({ RAFT_CORS_ORIGINS: 'http://127.0.0.1:8080/, http://localhost:5173', RAFT_FAULT_INJECTION: '1', RAFT_SUPERVISED: 'yes' });
    expect(c).toMatchObject({ corsOrigins: ['http://127.0.0.1:8080', 'http://localhost:5173'], faultInjection: true, supervised: true });
  });

  it('configure the supervisor: ports, data dir, token, origins, page', () => {
    const d = loadSupervisorConfig({});
    expect(d).toMatchObject({ host: '127.0.0.1', port: 8080, kvPortBase: 8081, raftPortBase: 9081, tokenGenerated: true, buildPlayground: true });
    expect(d.origins).toEqual(['http://127.0.0.1:8080', 'http://localhost:8080']);
    expect(d.token).toMatch(/^[0-9a-f]{48}$/);
    expect(loadSupervisorConfig({}).token).not.toBe(d.token);
    expect(d.dataDir.endsWith(`${path.sep}data`)).toBe(true);
    expect(d.playgroundDir.endsWith(path.join('playground', 'dist'))).toBe(true);
    const c = loadSupervisorConfig({
      PORT: '7000', START_KV_PORT: '17001', START_RAFT_PORT: '17011', RAFT_DATA_DIR: '/tmp/live', RAFT_CLUSTER_TOKEN: 'given-token',
      RAFT_CORS_ORIGINS: 'http://localhost:5173', START_PLAYGROUND_DIR: '/tmp/page',
    });
    expect(c).toMatchObject({ port: 7000, kvPortBase: 17001, raftPortBase: 17011, dataDir: '/tmp/live', token: 'given-token', tokenGenerated: false, playgroundDir: '/tmp/page', buildPlayground: false });
    expect(c.origins).toEqual(['http://127.0.0.1:7000', 'http://localhost:7000', 'http://localhost:5173']);
    expect(loadSupervisorConfig({ PORT: '7000', START_PORT: '7100' }).port).toBe(7100);
    expect(loadSupervisorConfig({ START_KV_PORT: '17001' }).raftPortBase).toBe(18001);
  });

  it('refuse supervisor ports that overlap or are invalid, naming the variable', () => {
    expect(() => loadSupervisorConfig({ START_PORT: '8082' })).toThrow(/START_PORT/);
    expect(() => loadSupervisorConfig({ START_KV_PORT: '9000', START_RAFT_PORT: '9001' })).toThrow(/overlap/);
    expect(() => loadSupervisorConfig({ START_KV_PORT: 'x' })).toThrow(/START_KV_PORT/);
    expect(() => loadSupervisorConfig({ RAFT_CLUSTER_TOKEN: 'short' })).toThrow(/RAFT_CLUSTER_TOKEN/);
  });
});

describe('TLS variables', () => {
  let dir: string;
  let files: { ca: string; cert: string; key: string; otherKey: string; notPem: string };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-config-tls-'));
    const ca = makeCa(dir);
    const node = makeCert(dir, ca, 'n1', ['127.0.0.1']);
    const other = makeCert(dir, ca, 'n2', ['127.0.0.1']);
    const notPem = path.join(dir, 'not.pem');
    fs.writeFileSync(notPem, 'hello');
    files = { ca: ca.cert, cert: node.cert, key: node.key, otherKey: other.key, notPem };
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const raft = () => ({ RAFT_TLS_CERT: files.cert, RAFT_TLS_KEY: files.key, RAFT_TLS_CA: files.ca });
  const kv = () => ({ KV_TLS_CERT: files.cert, KV_TLS_KEY: files.key });

  it('are off by default: plain http everywhere', () => {
    expect(loadConfig({ NODE_ID: 'n1', ...peers })).toMatchObject({ raftTls: null, kvTls: null, kvUrl: 'http://127.0.0.1:8080', raftUrl: 'http://127.0.0.1:9080' });
  });

  it('read the PEM files; advertised URLs, and the KV URLs derived for peers, become https://', () => {
    const c = loadConfig({ NODE_ID: 'n1', PEERS: 'https://10.0.0.2:9080,https://10.0.0.3:9080', PEER_IDS: 'n2,n3', ...raft(), ...kv() });
    expect(c.raftTls).toEqual({ cert: fs.readFileSync(files.cert, 'utf8'), key: fs.readFileSync(files.key, 'utf8'), ca: fs.readFileSync(files.ca, 'utf8') });
    expect(c.kvTls).toEqual({ cert: fs.readFileSync(files.cert, 'utf8'), key: fs.readFileSync(files.key, 'utf8') });
    expect(c).toMatchObject({ kvUrl: 'https://127.0.0.1:8080', raftUrl: 'https://127.0.0.1:9080' });
    expect(c.peers.map((p) => p.kvUrl)).toEqual(['https://10.0.0.2:8080', 'https://10.0.0.3:8080']);
    // TLS on the Raft port only: peers' KV URLs stay http.
    expect(loadConfig({ NODE_ID: 'n1', PEERS: 'https://10.0.0.2:9080', PEER_IDS: 'n2', ...raft() }).peers[0]!.kvUrl).toBe('http://10.0.0.2:8080');
  });

  const invalid: [string, () => Record<string, string>, RegExp][] = [
    ['RAFT_TLS_CERT without the key and CA', () => ({ RAFT_TLS_CERT: files.cert }), /RAFT_TLS_KEY, RAFT_TLS_CA missing/],
    ['KV_TLS_KEY without the certificate', () => ({ KV_TLS_KEY: files.key }), /KV_TLS_CERT missing/],
    ['a file that does not exist', () => ({ ...raft(), RAFT_TLS_CA: path.join(dir, 'missing.crt') }), /RAFT_TLS_CA=.*cannot read it \(ENOENT\)/],
    ['a file that is not PEM', () => ({ ...kv(), KV_TLS_CERT: files.notPem }), /KV_TLS_CERT=.*is not a PEM file/],
    ['a key that does not match the certificate', () => ({ ...kv(), KV_TLS_KEY: files.otherKey }), /KV_TLS_CERT, KV_TLS_KEY: .*key values mismatch/],
    ['plain http:// peers with TLS on', () => ({ ...raft(), PEERS: 'http://h:9082', PEER_IDS: 'n2' }), /PEERS: "http:\/\/h:9082" must be https:\/\//],
    ['https:// peers without TLS', () => ({ PEERS: 'https://h:9082', PEER_IDS: 'n2' }), /PEERS: "https:\/\/h:9082" is https:\/\/, which needs RAFT_TLS_CERT/],
  ];
  for (const [what, env, message] of invalid) {
    it(`fail fast on ${what}, naming the variable`, () => {
      expect(() => loadConfig({ NODE_ID: 'n1', ...env() })).toThrow(EnvConfigError);
      expect(() => loadConfig({ NODE_ID: 'n1', ...env() })).toThrow(message);
    });
  }
});
