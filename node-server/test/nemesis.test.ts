/**
 * The nemesis inside `npm test`: a short Jepsen-style run on real processes must be linearizable,
 * lose nothing and make progress after every heal; and the same check must catch a deliberately
 * broken build (reads answered locally, as the reference implementation did). The long runs are
 * `npm run nemesis -- --duration 300 ...` (docs/nemesis.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLinearizability } from '@raft-kv/core/check';
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

describe('nemesis on a real 3-node cluster', () => {
  it('40 s of seeded faults (kills, isolation, one-way cuts, partitions, membership changes): linearizable, nothing lost, progress after every heal', async () => {
    const dir = outDir('short');
    const report = await runNemesis({ ...defaultNemesisOptions, seed: 11, durationSec: 40, outDir: dir });
    expect(report.problems).toEqual([]);
    expect(report.linearizability.verdict).toBe('linearizable');
    expect(report.nodesAgree).toBe(true);
    expect(report.faults.length).toBeGreaterThanOrEqual(4);
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
