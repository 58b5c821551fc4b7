/**
 * The nemesis inside `npm test`: a short Jepsen-style run on real processes must be linearizable,
 * lose nothing, apply nothing twice and make progress after every heal; the same check must catch
 * a deliberately broken build (reads answered locally, as the reference implementation did), and
 * the exactly-once check must catch a value applied at two indexes. The long runs are
 * `npm run nemesis -- --duration 300 ...` (docs/nemesis.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLinearizability } from '@raft-kv/core/check';
import { exactlyOnceOf } from '../nemesis/exactly-once';
import { HistoryRecorder } from '../nemesis/history';
import { closeClients } from '../nemesis/http-client';
import { defaultNemesisOptions, runNemesis } from '../nemesis/run';

const outDirs: string[] = [];
const outDir = (name: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `raft-kv-nemesis-${name}-`));
  outDirs.push(dir);
  return dir;
};

afterAll(() => {
  closeClients();
  for (const dir of outDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe("the nemesis's exactly-once check", () => {
  it('counts a value written at two indexes, but not a restart printing the same index again, a recognized resend, a refusal or a losing swap', () => {
    const lines = [
      '[apply] index=5 op=set key=k1 value=c1-1 client=3 seq=1',
      '[apply] index=5 op=set key=k1 value=c1-1 client=3 seq=1', // the same index after a restart
      '[apply] index=9 op=set key=k1 value=c1-1 client=3 seq=1 duplicate',
      '[apply] index=10 op=set key=k2 value=c2-1 client=4 seq=1 rejected=session_expired',
      '[apply] index=11 op=cas key=k2 expected=none value=c2-2 swapped=false client=4 seq=2',
      '[apply] index=12 op=cas key=k2 expected=none value=c2-3 swapped=true client=4 seq=3',
      '[apply] index=13 op=delete key=k2',
      '[apply] index=14 op=noop',
    ];
    expect(exactlyOnceOf(lines)).toEqual({ applied: 2, resendsRecognized: 1, appliedTwice: [] });
    const twice = [...lines, '[apply] index=20 op=set key=k1 value=c1-1'];
    expect(exactlyOnceOf(twice)).toEqual({ applied: 3, resendsRecognized: 1, appliedTwice: ['c1-1 at 5, 20'] });
  });
});

describe('nemesis on a real 3-node cluster', () => {
  it('40 s of seeded faults (kills, isolation, one-way cuts, partitions, membership changes): linearizable, nothing lost, progress after every heal', async () => {
    const dir = outDir('short');
    const report = await runNemesis({ ...defaultNemesisOptions, seed: 11, durationSec: 40, outDir: dir });
    expect(report.problems).toEqual([]);
    expect(report.linearizability.verdict).toBe('linearizable');
    expect(report.nodesAgree).toBe(true);
    // Faults follow one another (each held, healed, then progress awaited), so how many fit in 40 s
    // depends on the machine: a membership fault starts a node process and waits for it to catch up.
    expect(report.faults.length).toBeGreaterThanOrEqual(3);
    expect(report.exactlyOnce.appliedTwice).toBe(0);
    expect(report.exactlyOnce.applied).toBeGreaterThan(100);
    expect(report.operations.cas!.ok).toBeGreaterThan(10);
    const ok = Object.values(report.operations).reduce((sum, row) => sum + (row.ok ?? 0), 0);
    expect(ok).toBeGreaterThan(1_000);
    // The history on disk is what outside checkers read: it parses and gives the same verdict.
    const history = HistoryRecorder.readJsonLines(path.join(dir, 'history.jsonl'));
    expect(history.length).toBe(Object.values(report.operations).reduce((s, r) => s + (r.ok ?? 0) + (r.fail ?? 0) + (r.unknown ?? 0), 0));
    expect(checkLinearizability(history).verdict).toBe('linearizable');
  }, 240_000);

  it('40 s of membership changes (replace, remove, grow, the leader included) and transfers: linearizable, the members agree, removed nodes are left out', async () => {
    const report = await runNemesis({
      ...defaultNemesisOptions, seed: 13, durationSec: 40, outDir: outDir('membership'),
      faults: ['replace', 'replaceLeader', 'remove', 'removeLeader', 'grow', 'transfer'],
    });
    expect(report.problems).toEqual([]);
    expect(report.linearizability.verdict).toBe('linearizable');
    expect(report.nodesAgree && report.membersAgree).toBe(true);
    // Members came and went: the cluster ends with other nodes than it started with, still three voters.
    expect(report.members).toHaveLength(3);
    expect(report.members.some((id) => !['n1', 'n2', 'n3'].includes(id))).toBe(true);
    const changes = ['replace', 'replaceLeader', 'remove', 'removeLeader', 'grow'].reduce((n, kind) => n + (report.faultCounts[kind] ?? 0), 0);
    expect(changes).toBeGreaterThanOrEqual(2);
  }, 240_000);

  it('catches a broken build that answers reads locally (RAFT_UNSAFE_LOCAL_READS) as not linearizable', async () => {
    const report = await runNemesis({
      ...defaultNemesisOptions, seed: 12, durationSec: 20, outDir: outDir('unsafe'),
      nodeEnv: { RAFT_UNSAFE_LOCAL_READS: '1' },
    });
    expect(report.linearizability.verdict).toBe('not_linearizable');
    expect(report.ok).toBe(false);
  }, 180_000);
});
