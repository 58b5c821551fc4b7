/**
 * InstallSnapshot in chunks (Figure 13): the leader streams its snapshot a few chunks at a time,
 * the follower makes each chunk durable before acknowledging it, and a transfer that loses,
 * duplicates or reorders chunks, or whose follower restarts halfway, still ends with the same state
 * and without starting over.
 */
import { describe, expect, it } from 'vitest';
import type { InstallSnapshot, InstallSnapshotResponse, Message, SnapshotMeta } from '../src/index';
import { MemoryStorage, RaftNode, configurationOf, readAllChunks, textChunksDigest } from '../src/index';
import { Simulation } from '../src/sim';
import { TestCluster, handleReady, newNode } from './harness';

const voters = ['n1', 'n2', 'n3'];

/** n1 leads, n3 missed 40 writes, and n1's log is compacted past them into a snapshot of many chunks. */
function leaderAheadOfN3(config = {}) {
  const c = new TestCluster(voters, config);
  c.campaign('n1');
  c.isolate('n3');
  const n1 = c.node('n1');
  for (let i = 0; i < 40; i++) n1.raft.propose({ op: 'set', key: `k${String(i).padStart(2, '0')}`, value: `value-${i}` });
  c.stabilize();
  n1.storage.createSnapshot(n1.raft.appliedIndex, n1.kv.snapshotChunks(30), configurationOf(voters), 0);
  return { c, n1, chunkCount: n1.storage.snapshot().chunkCount };
}

const chunksTo = (messages: Message[], to: string) =>
  messages.filter((m): m is InstallSnapshot => m.type === 'InstallSnapshot' && m.to === to);

describe('InstallSnapshot in chunks', () => {
  it('a snapshot made of a base run and delta runs streams like any other, and the follower rebuilds the same state', () => {
    const c = new TestCluster(voters);
    c.campaign('n1');
    c.isolate('n3');
    const n1 = c.node('n1');
    for (let i = 0; i < 30; i++) n1.raft.propose({ op: 'set', key: `k${String(i).padStart(2, '0')}`, value: `value-${i}` });
    c.stabilize();
    const base = readAllChunks(n1.kv.snapshotReaders(40).full);
    n1.storage.createSnapshot(n1.raft.appliedIndex, base, configurationOf(voters), 0);
    n1.kv.snapshotDurable(n1.raft.appliedIndex);
    for (let i = 0; i < 30; i += 4) n1.raft.propose({ op: 'delete', key: `k${String(i).padStart(2, '0')}` });
    for (let i = 1; i < 40; i += 3) n1.raft.propose({ op: 'set', key: `k${String(i).padStart(2, '0')}`, value: `again-${i}` });
    c.stabilize();
    const delta = readAllChunks(n1.kv.snapshotReaders(40).delta!);
    expect(delta.length).toBeGreaterThan(1);
    n1.storage.createSnapshot(n1.raft.appliedIndex, [...base, ...delta], configurationOf(voters), 0);
    c.heal();
    c.tickAll(80);
    const sent = chunksTo(c.delivered, 'n3');
    expect(sent.some((m) => m.data.startsWith('kd1'))).toBe(true);
    const n3 = c.node('n3');
    expect(n3.storage.snapshot().index).toBe(n1.storage.snapshot().index);
    expect(n3.kv.entries()).toEqual(n1.kv.entries());
    expect(n3.kv.get('k00')).toBeUndefined();
    expect(n3.kv.get('k37')).toBe('again-37');
  });

  it('streams every chunk within the window, and the follower ends with the leader state', () => {
    const { c, n1, chunkCount } = leaderAheadOfN3({ snapshotChunksInflightMax: 3 });
    expect(chunkCount).toBeGreaterThan(10);
    // Hold n3's answers back to see the window: at most 3 chunks go out unacknowledged.
    c.filter = (m) => !(m.from === 'n3' && m.type === 'InstallSnapshotResponse');
    c.heal();
    // The leader probes n3 again after appendRetransmitTicks and finds its entries compacted.
    c.tickAll(6);
    const sent = chunksTo(c.delivered, 'n3');
    expect(new Set(sent.map((m) => m.chunk))).toEqual(new Set([0, 1, 2]));
    c.filter = () => true;
    c.tickAll(40);
    const n3 = c.node('n3');
    expect(n3.kv.entries()).toEqual(n1.kv.entries());
    expect(n3.storage.snapshot().index).toBe(n1.storage.snapshot().index);
    expect(n1.raft.status().progress!.n3!.state).toBe('replicate');
  });

  it('a lost, duplicated or reordered chunk is answered with the chunk wanted, and resent after the retransmit timeout', () => {
    const { c, n1, chunkCount } = leaderAheadOfN3({ snapshotRetransmitTicks: 3 });
    let dropped = 0;
    const seen = new Set<string>();
    c.filter = (m) => {
      if (m.type !== 'InstallSnapshot') return true;
      const key = `${m.chunk}`;
      // The first copy of every third chunk is lost.
      if (m.chunk % 3 === 1 && !seen.has(key)) {
        seen.add(key);
        dropped++;
        return false;
      }
      return true;
    };
    c.heal();
    const deliverTwice = c.deliver.bind(c);
    c.deliver = (m) => {
      deliverTwice(m);
      if (m.type === 'InstallSnapshot' && m.chunk % 4 === 0) deliverTwice(m);
    };
    c.tickAll(200);
    expect(dropped).toBeGreaterThan(3);
    expect(c.node('n3').kv.entries()).toEqual(n1.kv.entries());
    expect(c.node('n3').storage.snapshot().chunkCount).toBe(chunkCount);
  });

  it('chunks that overtake each other are resent at the first repeated answer, not at the retransmit timeout', () => {
    // A retransmit timeout the test never reaches: only the repeated answers can get the rest through.
    const { c, n1, chunkCount } = leaderAheadOfN3({ snapshotChunksInflightMax: 4, snapshotRetransmitTicks: 10_000 });
    // Every two chunks to n3 arrive in the opposite order; the follower keeps only the one it wants next.
    let held: Message | null = null;
    const deliver = c.deliver.bind(c);
    c.deliver = (m) => {
      if (m.type !== 'InstallSnapshot' || m.to !== 'n3') return deliver(m);
      if (held === null) return void (held = m);
      const first = held;
      held = null;
      deliver(m);
      deliver(first);
    };
    c.heal();
    c.tickAll(60);
    if (held) c.deliver(held);
    c.tickAll(20);
    expect(c.node('n3').storage.snapshot().chunkCount).toBe(chunkCount);
    expect(c.node('n3').kv.entries()).toEqual(n1.kv.entries());
  });

  it('a follower that restarts halfway resumes from the chunks it made durable, not from the first', () => {
    const { c, n1, chunkCount } = leaderAheadOfN3({ snapshotChunksInflightMax: 2, snapshotRetransmitTicks: 3 });
    const half = Math.floor(chunkCount / 2);
    // n3 crashes once it holds `half` chunks: its answers stop, and so does everything sent to it.
    let crashed = false;
    c.filter = (m) => {
      if (crashed) return m.to !== 'n3' && m.from !== 'n3';
      if (m.type === 'InstallSnapshotResponse' && m.from === 'n3' && m.nextChunk >= half) crashed = true;
      return true;
    };
    c.heal();
    c.tickAll(20);
    expect(crashed).toBe(true);
    const n3Storage = c.node('n3').storage;
    expect(n3Storage.initialState().incoming?.received).toBeGreaterThanOrEqual(half);
    const before = chunksTo(c.delivered, 'n3').length;
    c.nodes.set('n3', newNode('n3', voters, {}, n3Storage));
    c.filter = () => true;
    c.tickAll(60);
    const after = chunksTo(c.delivered, 'n3').slice(before);
    // Only what it lacked travels again (plus the one chunk that told the leader where to resume).
    expect(after.length).toBeLessThanOrEqual(chunkCount - half + 4);
    expect(c.node('n3').kv.entries()).toEqual(n1.kv.entries());
  });

  it('keeps answering heartbeats while it receives, so the leader keeps it counted', () => {
    const { c } = leaderAheadOfN3({ snapshotChunksInflightMax: 1 });
    c.heal();
    c.tickAll(3);
    const answered = c.delivered.filter((m) => m.from === 'n3' && m.type === 'AppendEntriesResponse').length;
    expect(answered).toBeGreaterThan(0);
    expect(c.node('n3').raft.role).toBe('follower');
    expect(c.node('n3').raft.leaderId).toBe('n1');
  });

  it('a leader that takes a newer snapshot during a transfer sends that one instead', () => {
    const { c, n1 } = leaderAheadOfN3({ snapshotChunksInflightMax: 2 });
    const first = n1.storage.snapshot();
    c.heal();
    // n3 goes silent after two chunks of the first snapshot.
    c.filter = (m) => !(m.to === 'n3' || m.from === 'n3') || chunksTo(c.delivered, 'n3').length < 2;
    c.tickAll(8);
    expect(c.node('n3').storage.initialState().incoming).toMatchObject({ meta: first, received: 2 });
    for (let i = 0; i < 5; i++) n1.raft.propose({ op: 'set', key: `late${i}`, value: 'x' });
    c.stabilize();
    n1.storage.createSnapshot(n1.raft.appliedIndex, n1.kv.snapshotChunks(30), configurationOf(voters), 0);
    c.filter = () => true;
    c.tickAll(60);
    expect(n1.storage.snapshot().index).toBeGreaterThan(first.index);
    expect(c.node('n3').storage.snapshot().index).toBe(n1.storage.snapshot().index);
    expect(c.node('n3').kv.entries()).toEqual(n1.kv.entries());
  });
});

describe('a snapshot received in full, then chunks of a newer one, before the host takes a Ready', () => {
  it('the newer chunks wait until the first is installed: the Ready persists and installs in order', () => {
    // A follower that handles a backlog (its disk was busy, or it was paused) can see the last
    // chunk of one snapshot and the first of the leader's next one before it takes a Ready.
    const storage = new MemoryStorage(voters);
    const node = new RaftNode({ id: 'n3', voters }, storage);
    const meta = (index: number, chunkCount: number): SnapshotMeta => ({ index, term: 1, config: configurationOf(voters), chunkCount, bytes: 10 * chunkCount, digest: textChunksDigest(Array<string>(chunkCount).fill('{"kv":[]}')) });
    let seq = 0;
    const chunk = (m: SnapshotMeta, c: number): InstallSnapshot => ({ type: 'InstallSnapshot', from: 'n1', to: 'n3', term: 1, meta: m, chunk: c, data: `{"kv":[]}`, seq: ++seq });
    node.step(chunk(meta(10, 1), 0));
    node.step(chunk(meta(20, 2), 0));
    const rd = node.ready();
    // What a host does, in the documented order: chunks, then the install.
    for (const c of rd.snapshotChunks) storage.receiveChunk(c);
    expect(rd.snapshot?.index).toBe(10);
    storage.installIncoming(rd.snapshot!);
    node.advance(rd);
    expect(storage.snapshot().index).toBe(10);
    // The newer snapshot's chunk was answered "none held yet", so the leader sends it again.
    const answers = rd.messages.map((o) => o.message).filter((m): m is InstallSnapshotResponse => m.type === 'InstallSnapshotResponse');
    expect(answers.map((a) => [a.snapshotIndex, a.nextChunk])).toEqual([[10, 1], [20, 0]]);
    node.step(chunk(meta(20, 2), 0));
    node.step(chunk(meta(20, 2), 1));
    const next = node.ready();
    for (const c of next.snapshotChunks) storage.receiveChunk(c);
    storage.installIncoming(next.snapshot!);
    node.advance(next);
    expect(storage.snapshot().index).toBe(20);
  });
});

describe('two snapshots at one index, laid out differently', () => {
  it('a new leader\'s chunks never continue the old leader\'s: the transfer starts over, and what is installed is one snapshot whole', () => {
    // Two nodes' snapshots at one index hold the same state in different chunks when they took
    // their delta runs at different points; index, term, chunk count and bytes can all agree.
    const storage = new MemoryStorage(voters);
    const node = new RaftNode({ id: 'n3', voters }, storage);
    const layout = (chunks: string[]): SnapshotMeta =>
      ({ index: 20, term: 1, config: configurationOf(voters), chunkCount: chunks.length, bytes: 20, digest: textChunksDigest(chunks) });
    const fromN1 = ['aaaaaaaaaa', 'bbbbbbbbbb'];
    const fromN2 = ['cccccccccc', 'dddddddddd'];
    const [metaN1, metaN2] = [layout(fromN1), layout(fromN2)];
    const chunk = (from: string, term: number, meta: SnapshotMeta, data: string[], c: number): InstallSnapshot =>
      ({ type: 'InstallSnapshot', from, to: 'n3', term, meta, chunk: c, data: data[c]!, seq: c + 1 });
    const take = (): InstallSnapshotResponse[] => {
      const rd = node.ready();
      for (const c of rd.snapshotChunks) storage.receiveChunk(c);
      if (rd.snapshot) storage.installIncoming(rd.snapshot);
      node.advance(rd);
      return rd.messages.map((o) => o.message).filter((m): m is InstallSnapshotResponse => m.type === 'InstallSnapshotResponse');
    };
    node.step(chunk('n1', 1, metaN1, fromN1, 0));
    expect(take().map((a) => a.nextChunk)).toEqual([1]);
    // n1 is gone; n2 leads in term 2 and sends its own snapshot at the same index from chunk 1 on.
    node.step(chunk('n2', 2, metaN2, fromN2, 1));
    expect(take().map((a) => a.nextChunk)).toEqual([0]);
    node.step(chunk('n2', 2, metaN2, fromN2, 0));
    node.step(chunk('n2', 2, metaN2, fromN2, 1));
    expect(take().map((a) => a.nextChunk)).toEqual([1, 2]);
    expect(storage.snapshot()).toEqual(metaN2);
    expect([storage.snapshotChunk(0), storage.snapshotChunk(1)]).toEqual(fromN2);
  });

  it('the storage refuses to install chunks that do not match the digest', () => {
    const storage = new MemoryStorage(voters);
    const meta: SnapshotMeta = { index: 20, term: 1, config: configurationOf(voters), chunkCount: 1, bytes: 9, digest: textChunksDigest(['{"kv":[]}']) };
    storage.receiveChunk({ meta, chunk: 0, data: '{"kv":[1]' });
    expect(() => storage.installIncoming(meta)).toThrow(/do not match its digest/);
  });
});

describe('chunked snapshots in the simulator', () => {
  it('a crashed follower catches up by a multi-chunk snapshot, with crashes and loss during the transfer', () => {
    const sim = new Simulation({ seed: 11, snapshotThreshold: 20, snapshotChunkBytes: 16, tornWriteRate: 1, network: { lossRate: 0.1 } });
    const installs: number[] = [];
    let chunkCount = 0;
    sim.subscribe(({ event }) => {
      if (event.type === 'snapshotInstalled') installs.push(event.index);
      if (event.type === 'snapshotChunkReceived') chunkCount = Math.max(chunkCount, event.chunkCount);
    });
    sim.runUntil(() => sim.leader() !== null, 10_000);
    const leader = sim.leader()!;
    const follower = sim.nodeIds.find((id) => id !== leader)!;
    sim.act({ type: 'crash', node: follower });
    for (let i = 0; i < 80; i++) {
      sim.act({ type: 'client', request: { clientId: 'c', node: sim.leader() ?? leader, op: 'put', key: `k${i}`, value: `v${i}` } });
      sim.runFor(30);
    }
    sim.act({ type: 'restart', node: follower });
    // Crash it twice in the middle of receiving.
    for (let round = 0; round < 2; round++) {
      sim.runUntil(() => (sim.node(follower).storage.initialState().incoming?.received ?? 0) > 2, 20_000);
      sim.act({ type: 'crash', node: follower });
      sim.runFor(200);
      sim.act({ type: 'restart', node: follower });
    }
    sim.act({ type: 'setNetwork', network: { lossRate: 0 } });
    const target = () => sim.node(sim.leader() ?? leader).kv.entries();
    expect(sim.runUntil(() => JSON.stringify(sim.node(follower).kv.entries()) === JSON.stringify(target()) && sim.node(follower).kv.size >= 70, 60_000)).toBe(true);
    expect(chunkCount).toBeGreaterThan(5);
    expect(installs.length).toBeGreaterThan(0);
    expect(sim.violations).toEqual([]);
  });
});

describe('chunked snapshots: the edges', () => {
  it('chunk 0 of a newer snapshot right after the last chunk of another waits until that one is installed', () => {
    const { c, n1 } = leaderAheadOfN3({ snapshotChunksInflightMax: 64 });
    const n3 = c.node('n3');
    const first = n1.storage.snapshot();
    // Deliver every chunk of the first snapshot to n3 by hand, then chunk 0 of a newer one, before n3 takes a Ready.
    for (let chunk = 0; chunk < first.chunkCount; chunk++) {
      n3.raft.step({ type: 'InstallSnapshot', from: 'n1', to: 'n3', term: n1.raft.term, meta: first, chunk, data: n1.storage.snapshotChunk(chunk), seq: chunk + 1 });
    }
    const newer = { ...first, index: first.index + 1, chunkCount: 1, bytes: 9 };
    n3.raft.step({ type: 'InstallSnapshot', from: 'n1', to: 'n3', term: n1.raft.term, meta: newer, chunk: 0, data: '{"kv":[]}', seq: 999 });
    const rd = handleReady(n3);
    expect(rd.snapshot?.index).toBe(first.index);
    expect(n3.storage.snapshot().index).toBe(first.index);
    expect(rd.messages.map((m) => m.message).at(-1)).toMatchObject({ type: 'InstallSnapshotResponse', snapshotIndex: newer.index, nextChunk: 0 });
  });

  it('a follower that made every chunk durable but crashed before installing installs it when it restarts', () => {
    const { c, n1, chunkCount } = leaderAheadOfN3({ snapshotChunksInflightMax: 64 });
    const n3 = c.node('n3');
    const meta = n1.storage.snapshot();
    // The chunks reach n3's disk; the install, in the same write, is lost (a torn write).
    for (let chunk = 0; chunk < chunkCount; chunk++) n3.storage.receiveChunk({ meta, chunk, data: n1.storage.snapshotChunk(chunk) });
    const restarted = newNode('n3', voters, {}, n3.storage);
    const rd = handleReady(restarted);
    expect(rd.snapshot).toEqual(meta);
    expect(restarted.storage.snapshot().index).toBe(meta.index);
    expect(restarted.kv.entries()).toEqual(n1.kv.entries());
  });
});

describe('a follower whose disk was wiped', () => {
  /** n1 leads and every node holds 10 writes; then n3 restarts with an empty disk, and nothing more is written. */
  function wipedN3(compact: boolean) {
    const c = new TestCluster(voters);
    c.campaign('n1');
    const n1 = c.node('n1');
    for (let i = 0; i < 10; i++) n1.raft.propose({ op: 'set', key: `k${i}`, value: `value-${i}` });
    c.stabilize();
    expect(n1.raft.matchIndexOf('n3')).toBe(n1.raft.lastIndex);
    if (compact) n1.storage.createSnapshot(n1.raft.appliedIndex, n1.kv.snapshotChunks(30), configurationOf(voters), 0);
    c.nodes.set('n3', newNode('n3', voters));
    return { c, n1 };
  }

  // Its answers say its log is empty after it acknowledged entries: the leader forgets that match
  // and sends it everything again. Held at match + 1, it waited for the leader's next compaction
  // to pass that point, which on an idle cluster never came.
  it('catches up on an idle cluster, by entries while the leader log reaches back', () => {
    const { c, n1 } = wipedN3(false);
    c.tickAll(20);
    expect(c.node('n3').raft.lastIndex).toBe(n1.raft.lastIndex);
    expect(c.node('n3').kv.entries()).toEqual(n1.kv.entries());
    expect(n1.raft.matchIndexOf('n3')).toBe(n1.raft.lastIndex);
  });

  it('catches up on an idle cluster, by snapshot once the leader log is compacted', () => {
    const { c, n1 } = wipedN3(true);
    c.tickAll(20);
    expect(chunksTo(c.delivered, 'n3').length).toBeGreaterThan(0);
    expect(c.node('n3').storage.snapshot().index).toBe(n1.storage.snapshot().index);
    expect(c.node('n3').kv.entries()).toEqual(n1.kv.entries());
  });
});
