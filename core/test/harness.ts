/**
 * Test harness in the etcd-raft style: nodes over MemoryStorage, a host step that persists and
 * advances synchronously, and a network that delivers every message until the cluster is quiet.
 */
import type { Message, RaftConfigInput, Ready } from '../src/index';
import { KvStateMachine, MemoryStorage, RaftNode } from '../src/index';

export interface TestNode {
  id: string;
  raft: RaftNode;
  storage: MemoryStorage;
  kv: KvStateMachine;
  applied: number[];
}

export function newNode(id: string, voters: string[], config: Partial<RaftConfigInput> = {}, storage = new MemoryStorage(voters)): TestNode {
  const raft = new RaftNode({ id, voters, seed: 42, preVote: false, checkQuorum: false, ...config }, storage);
  const snap = storage.snapshot();
  const kv = KvStateMachine.fromChunks(Array.from({ length: snap.chunkCount }, (_, i) => storage.snapshotChunk(i)), snap.index);
  return { id, raft, storage, kv, applied: [] };
}

/** Handles one Ready like a host: persist, apply, advance. Returns it for inspection. */
export function handleReady(node: TestNode): Ready {
  const rd = node.raft.ready();
  for (const chunk of rd.snapshotChunks) node.storage.receiveChunk(chunk);
  if (rd.snapshot) {
    node.storage.installIncoming(rd.snapshot);
    const chunks = Array.from({ length: rd.snapshot.chunkCount }, (_, i) => node.storage.snapshotChunk(i));
    node.kv = KvStateMachine.fromChunks(chunks, rd.snapshot.index);
  }
  if (rd.hardState) node.storage.setHardState(rd.hardState);
  node.storage.append(rd.entries);
  for (const e of rd.committedEntries) {
    node.kv.apply(e);
    node.applied.push(e.index);
  }
  node.raft.advance(rd);
  return rd;
}

/** Drains Readies and returns every message the node sent, in order. */
export function outbox(node: TestNode): Message[] {
  const out: Message[] = [];
  while (node.raft.hasReady()) out.push(...handleReady(node).messages.map((m) => m.message));
  return out;
}

export class TestCluster {
  readonly nodes = new Map<string, TestNode>();
  /** Directed links that drop everything, as "from>to". */
  readonly cut = new Set<string>();
  /** Messages delivered so far (for assertions). */
  readonly delivered: Message[] = [];
  /** Optional filter: return false to drop a message. */
  filter: (m: Message) => boolean = () => true;

  constructor(readonly ids: string[], config: Partial<RaftConfigInput> = {}) {
    for (const id of ids) this.nodes.set(id, newNode(id, ids, config));
  }

  node(id: string): TestNode {
    return this.nodes.get(id)!;
  }

  isolate(id: string): void {
    for (const other of this.ids) if (other !== id) this.cut.add(`${id}>${other}`).add(`${other}>${id}`);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Delivers messages until no node has anything to say. */
  stabilize(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      const pending: Message[] = [];
      for (const node of this.nodes.values()) pending.push(...outbox(node));
      if (pending.length === 0) return;
      for (const m of pending) this.deliver(m);
    }
    throw new Error('cluster did not stabilize');
  }

  deliver(m: Message): void {
    if (this.cut.has(`${m.from}>${m.to}`) || !this.filter(m)) return;
    this.delivered.push(m);
    this.node(m.to).raft.step(m);
  }

  campaign(id: string): void {
    this.node(id).raft.campaign();
    this.stabilize();
  }

  tickAll(times: number): void {
    for (let i = 0; i < times; i++) {
      for (const node of this.nodes.values()) node.raft.tick();
      this.stabilize();
    }
  }

  leader(): string | undefined {
    return this.ids.find((id) => this.node(id).raft.role === 'leader');
  }
}
