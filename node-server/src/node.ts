/**
 * Wires one node from a validated config: storage, node host, transport (with its injected
 * faults), the two HTTP servers, and the live observation stream on the Raft port.
 * main.ts runs it as a process; tests run it in-process.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeConfig } from './config';
import { LongestSteps } from './host/longest-steps';
import { NodeHost, initialVoters } from './host/node-host';
import { putDirectDoor } from './http/direct-http';
import { kvRoutes } from './http/kv-app';
import { raftRequestListener } from './http/raft-app';
import { createKvServer, createRaftServer } from './http/servers';
import type { Logger } from './logger';
import { LiveStatusReader } from './observe/live-status';
import { LiveObserver } from './observe/observer';
import { DiskStorage } from './storage/disk-storage';
import { PeerFaults } from './transport/faults';
import { HttpTransport } from './transport/transport';

export interface RunningNode {
  host: NodeHost;
  storage: DiskStorage;
  kvServer: http.Server;
  raftServer: http.Server;
  kvPort: number;
  raftPort: number;
  faults: PeerFaults;
  observer: LiveObserver;
  close(): Promise<void>;
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startNode(config: Readonly<NodeConfig>, logger: Logger, onFatal: (error: unknown) => void): Promise<RunningNode> {
  const steps = new LongestSteps();
  const storage = DiskStorage.open(config.dataDir, initialVoters(config), { fsync: config.fsync, segmentBytesMax: config.walSegmentBytesMax, deltaRatio: config.snapshotDeltaRatio, logger, steps });
  const host = new NodeHost({ config, storage, logger, onFatal, steps });
  const faults = new PeerFaults(config.nodeId, (id) => host.directory.knows(id));
  // The host gives the transport its peers when attached: the members of its configuration.
  const transport = new HttpTransport({ ...config, peers: [] }, {
    onResponse: (m) => host.handleResponse(m),
    onFailure: (m) => host.handleSendFailure(m),
  }, logger, faults);
  host.attach(transport);

  const kv = kvRoutes({ config, host, logger });
  const kvServer = createKvServer(config, kv.listener());
  if (config.kvDirectHttp && !config.kvTls) putDirectDoor(kvServer, kv.direct(), config.kvBodyBytesMax);
  const raftServer = createRaftServer(config, raftRequestListener({ config, host, faults, logger }), logger);
  const reader = new LiveStatusReader({ config, host, faults });
  const observer = new LiveObserver(raftServer, { host, reader, origins: config.corsOrigins, logger });
  // Peers keep one connection open; do not let the server close it between heartbeats.
  raftServer.keepAliveTimeout = 65_000;
  kvServer.keepAliveTimeout = 65_000;
  let kvPort: number;
  let raftPort: number;
  try {
    kvPort = await listen(kvServer, config.kvPort, config.bindHost);
    raftPort = await listen(raftServer, config.raftPort, config.bindHost);
  } catch (err) {
    observer.close();
    kvServer.close();
    storage.close();
    await storage.settled();
    throw err;
  }
  host.start();
  const tls = (on: unknown, what: string) => (on ? ` (${what})` : '');
  logger.info(`[node] ${config.nodeId} serving KV on ${config.bindHost}:${kvPort}${tls(config.kvTls, 'TLS')} and Raft on ${config.bindHost}:${raftPort}${tls(config.raftTls, 'mutual TLS')}; data in ${config.dataDir}; peers ${host.peers().map((p) => `${p.id}=${p.raftUrl}`).join(' ') || '(none)'}${config.join ? '; joining (RAFT_JOIN): it waits for a leader to add it' : ''}`);
  if (config.unsafeLocalReads) logger.warn(`[node] ${config.nodeId}: UNSAFE RAFT_UNSAFE_LOCAL_READS is on: reads are served locally and may be stale`);
  if (config.faultInjection) logger.warn(`[node] ${config.nodeId}: fault injection is on (POST /admin/faults on the Raft port, loopback only${config.clusterToken ? ', with the cluster token' : ''})`);

  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      host.stop();
      observer.close();
      transport.close();
      await Promise.all([closeServer(kvServer), closeServer(raftServer), host.whenIdle()]);
      storage.close();
      // A spare WAL segment being made stops at its next write: once it has, nothing touches the directory.
      await storage.settled();
    })();
    return closed;
  };
  return { host, storage, kvServer, raftServer, kvPort, raftPort, faults, observer, close };
}
