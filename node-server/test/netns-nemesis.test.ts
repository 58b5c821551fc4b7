/**
 * The nemesis on a namespaced cluster (`npm run nemesis -- --net netns`) inside `npm test`: kernel
 * faults (nftables cuts, SIGSTOP/SIGCONT pauses, tc tbf squeezes, SIGKILL) for about 40 s must
 * leave a linearizable history, nodes that agree, and progress after every heal; the report names
 * the rule or signal of every fault. The deliberately broken build (reads answered locally) must
 * come out not linearizable under pauses and partitions. The long runs are
 * `npm run nemesis -- --net netns --duration 300` (docs/hosts.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { closeClients } from '../nemesis/http-client';
import { netnsFaultKinds } from '../nemesis/faults';
import { defaultNemesisOptions, runNemesis } from '../nemesis/run';
import { describeNetns } from './support/netns';

const outDirs: string[] = [];
const outDir = (name: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `raft-kv-netns-nemesis-${name}-`));
  outDirs.push(dir);
  return dir;
};

afterAll(() => {
  closeClients();
  for (const dir of outDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describeNetns('nemesis on a namespaced cluster (kernel-level faults)', () => {
  it('40 s of nftables cuts, pauses, squeezes and kills: linearizable, nothing lost, nodes agree, progress after every heal; each fault reported with its rule or signal', async () => {
    const dir = outDir('short');
    const report = await runNemesis({ ...defaultNemesisOptions, net: 'netns', faults: netnsFaultKinds, seed: 21, durationSec: 40, outDir: dir });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, net: 'netns', nodesAgree: true, progressOk: true, linearizability: { verdict: 'linearizable' } });
    expect(report.faults.length).toBeGreaterThanOrEqual(4);
    const mechanisms = report.faults.flatMap((f) => f.mechanisms).join('\n');
    for (const f of report.faults) expect(f.mechanisms.length).toBeGreaterThan(0);
    // Every cut is a kernel rule in a node's namespace; nothing went through a fault endpoint.
    if (/isolate|partition|cut /.test(report.faults.map((f) => f.description).join(' '))) expect(mechanisms).toMatch(/nft rkvn\w+-n\d: ip saddr \{ 198\.18\.0\.\d+(, 198\.18\.0\.\d+)* \} drop/);
    expect(mechanisms).not.toContain('/admin/faults');
    expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).toContain('| # | at | fault | how (request, kernel rule, signal; then the heal)');
  }, 300_000);

  it('catches the broken build (RAFT_UNSAFE_LOCAL_READS) under pauses and partitions as not linearizable', async () => {
    const report = await runNemesis({
      ...defaultNemesisOptions, net: 'netns', faults: ['pauseLeader', 'pause', 'partition', 'isolateLeader'], seed: 22, durationSec: 25,
      outDir: outDir('unsafe'), nodeEnv: { RAFT_UNSAFE_LOCAL_READS: '1' },
    });
    expect(report.linearizability.verdict).toBe('not_linearizable');
    expect(report.ok).toBe(false);
    expect(report.faults.flatMap((f) => f.mechanisms).join('\n')).toMatch(/SIGSTOP pid \d+/);
  }, 240_000);
});
