/** Simulation settings: the cluster, the network, the disk, the clients. Times in simulated ms. */
import type { RaftConfig } from '../config';
import { ConfigError } from '../config';

export interface NetworkConfig {
  /** One-way message latency, uniform in [min, max]. */
  latencyMinMs: number;
  latencyMaxMs: number;
  /** Probability that a message is lost. */
  lossRate: number;
  /** Probability that a message is delivered twice. */
  duplicateRate: number;
  /** Probability that a message is held back by up to reorderDelayMaxMs more (so later ones overtake it). */
  reorderRate: number;
  reorderDelayMaxMs: number;
}

export interface SimConfig {
  seed: number;
  nodeCount: number;
  /** Length of one Raft tick. */
  tickMs: number;
  /** Raft settings for every node (ticks are tickMs long). */
  raft: Partial<Omit<RaftConfig, 'id' | 'voters' | 'seed'>>;
  network: NetworkConfig;
  /** Time to persist one Ready, uniform in [min, max]; a crash meanwhile loses (or tears) that write. */
  diskLatencyMinMs: number;
  diskLatencyMaxMs: number;
  /** Probability that a crash during a write keeps a prefix of it (a torn write) instead of none. */
  tornWriteRate: number;
  /** Take a snapshot and compact the log every this many applied entries. */
  snapshotThreshold: number;
  /** About how large each snapshot chunk is (small, so transfers take several chunks to watch). */
  snapshotChunkBytes: number;
  /** Client to node latency, each way (clients reach every live node). */
  clientLatencyMs: number;
  writeTimeoutMs: number;
  readTimeoutMs: number;
  /**
   * Answer every GET from the node's own state machine, without ReadIndex's leadership check (the
   * playground's "local reads" toggle; like the real node's RAFT_UNSAFE_LOCAL_READS). Unsafe: a
   * deposed leader or a lagging follower serves stale values as if they were linearizable.
   */
  localReads: boolean;
  /** How long a client session lives without a command (carried in the entry that opens it). */
  sessionTimeoutMs: number;
  /** Check the safety invariants after every step. */
  checkInvariants: boolean;
  /** How many recent events the simulation keeps for observers. */
  eventLogMax: number;
}

export const defaultSimConfig: SimConfig = {
  seed: 1,
  nodeCount: 3,
  // 100 ms heartbeats and 600-1200 ms election timeouts, as the real nodes use, counted in 50 ms
  // ticks (etcd's default tick is 100 ms): finer ticks only cost simulation time.
  tickMs: 50,
  raft: { heartbeatTicks: 2, electionTimeoutTicksMin: 12, electionTimeoutTicksMax: 24, appendRetransmitTicks: 6, snapshotRetransmitTicks: 40 },
  network: { latencyMinMs: 5, latencyMaxMs: 15, lossRate: 0, duplicateRate: 0, reorderRate: 0, reorderDelayMaxMs: 0 },
  diskLatencyMinMs: 1,
  diskLatencyMaxMs: 2,
  tornWriteRate: 0,
  snapshotThreshold: 50,
  snapshotChunkBytes: 256,
  clientLatencyMs: 1,
  writeTimeoutMs: 2000,
  readTimeoutMs: 3000,
  localReads: false,
  sessionTimeoutMs: 60_000,
  checkInvariants: true,
  eventLogMax: 5000,
};

export type SimConfigInput = Partial<Omit<SimConfig, 'network' | 'raft'>> & {
  network?: Partial<NetworkConfig>;
  raft?: SimConfig['raft'];
};

export function resolveSimConfig(input: SimConfigInput = {}): SimConfig {
  const config: SimConfig = {
    ...defaultSimConfig,
    ...input,
    raft: { ...defaultSimConfig.raft, ...input.raft },
    network: { ...defaultSimConfig.network, ...input.network },
  };
  if (!Number.isInteger(config.nodeCount) || config.nodeCount < 1 || config.nodeCount > 9) {
    throw new ConfigError(`nodeCount must be 1-9, got ${config.nodeCount}`);
  }
  const n = config.network;
  for (const [name, rate] of [['lossRate', n.lossRate], ['duplicateRate', n.duplicateRate], ['reorderRate', n.reorderRate], ['tornWriteRate', config.tornWriteRate]] as const) {
    if (!(rate >= 0 && rate <= 1)) throw new ConfigError(`${name} must be in [0, 1], got ${rate}`);
  }
  const ranges = [['latency', n.latencyMinMs, n.latencyMaxMs], ['diskLatency', config.diskLatencyMinMs, config.diskLatencyMaxMs]] as const;
  for (const [name, min, max] of ranges) {
    if (!(min >= 0 && max >= min)) throw new ConfigError(`${name}: need 0 <= min <= max, got ${min}..${max}`);
  }
  for (const name of ['tickMs', 'snapshotThreshold', 'snapshotChunkBytes', 'writeTimeoutMs', 'readTimeoutMs', 'sessionTimeoutMs', 'eventLogMax'] as const) {
    if (!(Number.isInteger(config[name]) && config[name] > 0)) throw new ConfigError(`${name} must be a positive integer`);
  }
  return config;
}

export const nodeIdsFor = (count: number): string[] => Array.from({ length: count }, (_, i) => `n${i + 1}`);
