/** A-H: the reference implementation's checklist (docs/scenarios.md), written once for every world. */
import type { Scenario } from './scenario';
import { everywhere } from './scenario';
import {
  check, describe, limits, others, putOk, readEventually, readEverywhere, stableLeader, statuses, waitFor,
} from './helpers';

const three = { nodes: 3 };

export const A1: Scenario = {
  id: 'A1',
  title: 'Exactly one leader',
  summary: 'A fresh cluster elects one leader; the other two follow it in the same term.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    narrate('Waiting for the cluster to elect a leader that stays put.');
    await stableLeader(d);
    const all = await statuses(d);
    const leaders = all.filter((s) => s.role === 'leader');
    check(leaders.length === 1, `expected one leader, saw ${leaders.length}`);
    check(all.filter((s) => s.role === 'follower').length === 2, 'expected two followers');
    check(new Set(all.map((s) => s.term)).size === 1, `terms differ: ${all.map((s) => `${s.id}:${s.term}`).join(' ')}`);
  },
};

export const A2: Scenario = {
  id: 'A2',
  title: 'No election spam',
  summary: 'With a healthy leader, nobody starts an election: sampled every second for 15 s.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    narrate(`${leader} leads. Watching for 15 s: the leader must not change and nobody may become candidate.`);
    for (let i = 0; i < 15; i++) {
      await d.sleep(1000);
      for (const s of await statuses(d)) {
        check(s.role !== 'candidate', `${s.id} became candidate in term ${s.term}`);
        if (s.role === 'leader') check(s.id === leader, `leader changed from ${leader} to ${s.id}`);
      }
    }
  },
};

export const B1: Scenario = {
  id: 'B1',
  title: 'Write to a follower',
  summary: 'A follower refuses writes with 409 not_leader and tells the client where the leader is.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    const follower = others(d, leader)[0]!;
    narrate(`PUT t1=111 to follower ${follower}.`);
    const response = await d.put(follower, 't1', '111');
    check(response.status === 409, `expected 409, got ${describe(response)}`);
    check(response.body.error === 'not_leader', `expected error not_leader, got ${describe(response)}`);
    check(response.body.leader === d.kvUrl(leader), `leader hint ${String(response.body.leader)} is not ${d.kvUrl(leader)}`);
  },
};

export const B2: Scenario = {
  id: 'B2',
  title: 'Write to the leader commits and applies',
  summary: 'The leader answers 200 only once the entry is committed and applied.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    const before = await d.status(leader);
    narrate(`PUT t2=222 to leader ${leader}.`);
    await putOk(d, leader, 't2', '222');
    await waitFor(d, 'the leader to show the write committed and applied', 10_000, async () => {
      const s = await d.status(leader);
      return s.commitIndex > before.commitIndex && s.logLength > before.logLength && s.lastApplied >= s.commitIndex ? true : undefined;
    });
  },
};

export const C1: Scenario = {
  id: 'C1',
  title: 'Read everywhere after commit',
  summary: 'A committed write becomes readable on every node.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    await putOk(d, leader, 't2', '222');
    narrate('t2=222 is committed; every node must serve it.');
    await readEverywhere(d, d.nodeIds, 't2', '222', 12_000);
  },
};

export const C2: Scenario = {
  id: 'C2',
  title: 'Order',
  summary: 'Three writes in sequence all commit, in order, and are readable everywhere.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    const before = (await d.status(leader)).commitIndex;
    narrate('PUT o1=1, o2=2, o3=3 one after another.');
    for (const i of [1, 2, 3]) await putOk(d, leader, `o${i}`, String(i));
    for (const i of [1, 2, 3]) await readEverywhere(d, d.nodeIds, `o${i}`, String(i), 12_000);
    const after = (await d.status(leader)).commitIndex;
    check(after - before >= 3, `commitIndex grew by ${after - before}, expected at least 3`);
  },
};

export const D1: Scenario = {
  id: 'D1',
  title: 'Lagging follower catches up',
  summary: 'A follower that was down while writes committed receives them when it comes back.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    const follower = others(d, leader)[0]!;
    narrate(`Kill follower ${follower}, then write cf1..cf3 with the other two.`);
    await d.kill(follower);
    for (const [k, v] of [['cf1', 'A'], ['cf2', 'B'], ['cf3', 'C']] as const) await putOk(d, leader, k, v);
    narrate(`Restart ${follower}: the leader must bring it up to date.`);
    await d.restart(follower);
    const deadline = d.now() + 20_000;
    for (const [k, v] of [['cf1', 'A'], ['cf2', 'B'], ['cf3', 'C']] as const) await readEventually(d, follower, k, v, deadline - d.now());
    await waitFor(d, `${follower} to apply up to the leader's commit index`, Math.max(0, deadline - d.now()), async () => {
      const [f, l] = [await d.status(follower), await d.status(leader)];
      return f.lastApplied >= l.commitIndex ? true : undefined;
    });
  },
};

export const E1: Scenario = {
  id: 'E1',
  title: 'Uncommitted tail is discarded',
  summary: 'An entry only the old leader holds is overwritten by the new leader and never shows up.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    const [a, b] = others(d, leader) as [string, string];
    narrate(`Kill follower ${a}; e_commit=1 still commits with ${leader} and ${b}.`);
    await d.kill(a);
    await putOk(d, leader, 'e_commit', '1');
    narrate(`Kill ${b} too: e_uncommitted=999 reaches only ${leader}'s log and cannot commit.`);
    await d.kill(b);
    const lost = await d.put(leader, 'e_uncommitted', '999');
    check(lost.status !== 200, `e_uncommitted must not be acknowledged, got ${describe(lost)}`);
    narrate(`Kill the leader ${leader}; restart ${a} and ${b}: they elect a leader without the uncommitted entry.`);
    await d.kill(leader);
    await d.restart(a);
    await d.restart(b);
    const newLeader = await stableLeader(d, limits.reelectionMs, [a, b]);
    await putOk(d, newLeader, 'e_new', '3');
    narrate(`Restart the old leader ${leader}: its uncommitted entry must be overwritten.`);
    await d.restart(leader);
    const deadline = d.now() + 15_000;
    await readEverywhere(d, d.nodeIds, 'e_new', '3', deadline - d.now());
    await readEverywhere(d, d.nodeIds, 'e_commit', '1', Math.max(0, deadline - d.now()));
    await readEverywhere(d, d.nodeIds, 'e_uncommitted', null, Math.max(0, deadline - d.now()));
  },
};

export const F1: Scenario = {
  id: 'F1',
  title: 'Commit with one follower down',
  summary: 'Two of three nodes are a majority: writes still commit.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    const [down, live] = others(d, leader) as [string, string];
    narrate(`Kill follower ${down}; ${leader} and ${live} are still a majority.`);
    await d.kill(down);
    await putOk(d, leader, 'f_majority', 'ok');
    await readEverywhere(d, [leader, live], 'f_majority', 'ok', 12_000);
  },
};

export const F2: Scenario = {
  id: 'F2',
  title: 'No commit without a majority',
  summary: 'With both followers down the leader cannot commit, and does not pretend to.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    const [first, second] = others(d, leader) as [string, string];
    await d.kill(first);
    await putOk(d, leader, 'f_majority', 'ok');
    narrate(`Kill ${second} too: ${leader} is alone and a write must not commit.`);
    await d.kill(second);
    const commitBefore = (await d.status(leader)).commitIndex;
    const response = await d.put(leader, 'f_no_majority', 'zzz');
    check(response.status !== 200, `write without a majority must not be acknowledged, got ${describe(response)}`);
    const commitAfter = (await d.status(leader)).commitIndex;
    check(commitAfter === commitBefore, `commitIndex moved from ${commitBefore} to ${commitAfter}`);
    const read = await d.get(leader, 'f_no_majority');
    check(read.status !== 200, `reading the uncommitted key must not succeed, got ${describe(read)}`);
  },
};

export const G1: Scenario = {
  id: 'G1',
  title: 'Leader crash',
  summary: 'When the leader dies the others elect a new one; the old leader rejoins and catches up.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    await putOk(d, leader, 'lc1', '10');
    await readEverywhere(d, d.nodeIds, 'lc1', '10', 12_000);
    narrate(`Kill the leader ${leader}.`);
    await d.kill(leader);
    const rest = others(d, leader);
    const newLeader = await stableLeader(d, limits.reelectionMs, rest);
    narrate(`${newLeader} took over; write lc2=20 there.`);
    await putOk(d, newLeader, 'lc2', '20');
    await d.restart(leader);
    const deadline = d.now() + 15_000;
    await readEverywhere(d, d.nodeIds, 'lc1', '10', deadline - d.now());
    await readEverywhere(d, d.nodeIds, 'lc2', '20', Math.max(0, deadline - d.now()));
  },
};

export const H1: Scenario = {
  id: 'H1',
  title: 'Exactly-once apply',
  summary: 'Each node applies each log index once, in increasing order.',
  cluster: three,
  worlds: everywhere,
  async run({ d, narrate }) {
    const leader = await stableLeader(d);
    for (let i = 1; i <= 5; i++) await putOk(d, leader, `h${i}`, String(i));
    for (let i = 1; i <= 5; i++) await readEverywhere(d, d.nodeIds, `h${i}`, String(i), 12_000);
    narrate('Every node must have applied each index exactly once, in order.');
    for (const id of d.nodeIds) {
      const applied = await d.appliedIndexes(id);
      check(applied.length >= 5, `${id} applied ${applied.length} entries, expected at least 5`);
      for (let i = 1; i < applied.length; i++) {
        check(applied[i]! > applied[i - 1]!, `${id} applied index ${applied[i]} after ${applied[i - 1]}`);
      }
    }
  },
};

export const checklistScenarios: readonly Scenario[] = [A1, A2, B1, B2, C1, C2, D1, E1, F1, F2, G1, H1];
