/**
 * `npm run bench:scale`: does the cost of a write stay flat as the data grows, at the defaults?
 * For each system (ours at its defaults, then etcd at its defaults), on a fresh 3-member cluster:
 *
 * 1. load: 64 closed-loop clients write N distinct 8-byte keys with 256-byte values (default
 *    1,000,000; --keys), one row per window of acknowledged writes (default 100,000; --window):
 *    writes/s, p50/p99/p99.9 (a write's latency includes its retries), leader elections (term changes)
 *    and client retries in the window, each member's RSS and disk at the end of the window;
 * 2. restart: SIGKILL all three, start them again, and time until the last acknowledged key reads
 *    (linearizably, with the right value) on any member, and on each member;
 * 3. catch-up: while 64 clients go on writing new keys, wipe one follower's data directory, start
 *    it again empty, and time until it has applied the leader's commit index of that moment.
 *
 * Options: --keys N, --window N, --clients N, --systems ours,etcd, --max-minutes M (a load phase
 * that runs longer stops there and says so: today's nodes slow down as keys accumulate).
 * Results: the "scale" section of results.md / results.json.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Latencies, closedLoop, key8, since, value256 } from './http-load';
import type { ScaleSubject } from './scale-subjects';
import { etcdSubject, ourSubject } from './scale-subjects';
import { provenance, runHeader, saveSection } from './results';
import type { ScaleResult, WindowRow } from './scale-report';
import { f, liveDataBytes, stepsCell, summaryTable, windowTable } from './scale-report';
import { diskBytes, mainThreadSchedNs, mib, rssBytes, sleep } from './proc';
import { startSystems } from './systems';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    window: { type: 'string', default: '100000' },
    clients: { type: 'string', default: '64' },
    systems: { type: 'string', default: 'ours,etcd' },
    'max-minutes': { type: 'string', default: '30' },
    'etcd-keys': { type: 'string', default: 'same' },
    section: { type: 'string', default: 'scale' },
  },
});
const requestedKeys = Number(args.keys);
/** Keys the system being probed writes (etcd may be asked for as many as ours reached). */
let keys = requestedKeys;
let windowKeys = Math.min(keys, Number(args.window));
const clients = Number(args.clients);
const maxLoadMs = Number(args['max-minutes']) * 60_000;
const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** Follows the highest term any member reports, so a window can count elections. */
function termWatcher(subject: ScaleSubject): { current: () => number; stop: () => Promise<void> } {
  let term = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      term = Math.max(term, await subject.cluster.maxTerm());
      await sleep(200);
    }
  })();
  return { current: () => term, stop: async () => { running = false; await loop; } };
}

/** A writer that retries one key until it is acknowledged, following leader hints. */
class Writer {
  leader = 0;
  retries = 0;
  constructor(private readonly subject: ScaleSubject) {}

  /** Writes `key`; resolves with the latency in ms (retries included), or NaN if `giveUp()` turned true. */
  async write(key: string, giveUp: () => boolean): Promise<number> {
    const start = performance.now();
    const c = this.subject.cluster;
    while (!giveUp()) {
      const endpoint = this.leader;
      const outcome = await c.put(endpoint, key, value256(key));
      if (outcome.ok) return since(start);
      this.retries++;
      if (outcome.leaderEndpoint !== undefined) this.leader = outcome.leaderEndpoint;
      else if (this.leader === endpoint) this.leader = (endpoint + 1) % c.endpoints;
      // Without a hint, try the next member after a pause (no hot loop against a member that is down).
      if (outcome.leaderEndpoint === undefined) await sleep(20);
    }
    return NaN;
  }
}

async function loadPhase(subject: ScaleSubject, result: ScaleResult): Promise<number> {
  const c = subject.cluster;
  const writer = new Writer(subject);
  writer.leader = await c.waitForLeader(60_000);
  const terms = termWatcher(subject);
  let next = 0;
  let done = 0;
  let lastAcked = -1;
  const deadline = performance.now() + maxLoadMs;
  let windowStart = performance.now();
  let windowTerm = await c.maxTerm();
  let windowRetries = 0;
  let latencies = new Latencies();
  const pendingProbes: Promise<void>[] = [];
  let probeBefore = await subject.probe();
  const schedOf = (): { onCpu: number; waiting: number }[] => [0, 1, 2].map((i) => (c.isRunning(i) ? mainThreadSchedNs(c.pid(i)) : { onCpu: NaN, waiting: NaN }));
  let schedBefore = schedOf();
  const closeWindow = (): void => {
    const seconds = since(windowStart) / 1000;
    const [p50, p99, p999] = latencies.percentiles(0.5, 0.99, 0.999);
    const row: WindowRow = {
      from: result.windows.length === 0 ? 0 : result.windows[result.windows.length - 1]!.to, to: done, seconds,
      writesPerSec: latencies.length / seconds, p50: p50!, p99: p99!, p999: p999!,
      elections: terms.current() - windowTerm, retries: writer.retries - windowRetries,
      rssBytes: [0, 1, 2].map((i) => (c.isRunning(i) ? rssBytes(c.pid(i)) : NaN)),
      diskBytes: [0, 1, 2].map((i) => diskBytes(c.nodeDir(i))), stallMs: null, gcPauseMs: null, longestStepMs: null, snapshotFiles: null, snapshotFileSeconds: null,
      mainThread: null,
    };
    const sched = schedOf();
    // Go runs on many threads: only our nodes' main thread is the one that stalls.
    if (probeBefore !== null) {
      row.mainThread = sched.map((now, i) => ({ onCpuMsPerSec: (now.onCpu - schedBefore[i]!.onCpu) / 1e6 / seconds, waitingMsPerSec: (now.waiting - schedBefore[i]!.waiting) / 1e6 / seconds }));
    }
    schedBefore = sched;
    // Probe readings are taken one after the other, so each window gets the difference from the last.
    const previous = pendingProbes[pendingProbes.length - 1] ?? Promise.resolve();
    pendingProbes.push(previous.then(() => subject.probe()).then((p) => {
      if (!p) return;
      row.stallMs = p.stallMs;
      row.gcPauseMs = p.gcPauseMs;
      row.gcPauseKinds = p.gcPauseKinds;
      row.longestStepMs = p.longestStepMs;
      row.heapBytes = p.heapBytes;
      row.snapshotFiles = p.snapshotFiles - (probeBefore?.snapshotFiles ?? 0);
      row.snapshotFileSeconds = p.snapshotFileSeconds - (probeBefore?.snapshotFileSeconds ?? 0);
      probeBefore = p;
    }));
    result.windows.push(row);
    say(`  ${c.system} keys ${row.from}-${row.to}: ${f(row.writesPerSec, 0)} writes/s, p50 ${f(row.p50)} ms, p99 ${f(row.p99)} ms, p99.9 ${f(row.p999 ?? NaN)} ms, ` +
      `${row.elections} elections, ${row.retries} retries, RSS ${row.rssBytes.map(mib).join('/')} MiB, disk ${row.diskBytes.map(mib).join('/')} MiB`);
    windowStart = performance.now();
    windowTerm = terms.current();
    windowRetries = writer.retries;
    latencies = new Latencies();
  };
  const outOfTime = (): boolean => performance.now() > deadline;
  await closedLoop(clients, async () => {
    if (next >= keys || outOfTime()) return false;
    const index = next++;
    const ms = await writer.write(key8(index), outOfTime);
    if (Number.isNaN(ms)) return false;
    latencies.add(ms);
    done++;
    lastAcked = index;
    if (done % windowKeys === 0 || done === keys) closeWindow();
    return true;
  });
  if (latencies.length > 0) closeWindow();
  await Promise.all(pendingProbes);
  await terms.stop();
  result.keysWritten = done;
  result.stoppedEarly = done < keys;
  if (result.stoppedEarly) say(`  ${c.system}: stopped after ${args['max-minutes']} minutes with ${done} of ${keys} keys written`);
  return lastAcked;
}

async function restartPhase(subject: ScaleSubject, lastKey: string): Promise<NonNullable<ScaleResult['restart']>> {
  const c = subject.cluster;
  await Promise.all([0, 1, 2].map((i) => c.kill(i, 'SIGKILL')));
  const start = performance.now();
  c.startAll();
  const expected = value256(lastKey);
  // Where the time goes: the process answering at all, a leader elected, then the key readable.
  const answering = Promise.all([0, 1, 2].map(async (i) => {
    while (since(start) < 300_000 && (await subject.appliedIndex(i)) === undefined) await sleep(10);
    return since(start);
  }));
  const leaderAt = (async () => {
    await c.waitForLeader(300_000);
    return since(start);
  })();
  const perMemberMs = await Promise.all([0, 1, 2].map(async (i) => {
    while (since(start) < 300_000) {
      const outcome = await c.get(i, lastKey);
      if (outcome.ok && outcome.value === expected) return since(start);
      await sleep(10);
    }
    return NaN;
  }));
  return { lastKeyReadMs: Math.min(...perMemberMs), perMemberMs, answeringMs: await answering, leaderMs: await leaderAt };
}

async function catchUpPhase(subject: ScaleSubject, firstKey: number): Promise<NonNullable<ScaleResult['catchUp']>> {
  const c = subject.cluster;
  const leader = await c.waitForLeader(60_000);
  const follower = (leader + 1) % 3;
  const writer = new Writer(subject);
  writer.leader = leader;
  let stop = false;
  let next = firstKey;
  let acked = 0;
  const writesStart = performance.now();
  const load = closedLoop(clients, async () => {
    if (stop) return false;
    if (!Number.isNaN(await writer.write(key8(next++), () => stop))) acked++;
    return true;
  });
  let caughtUp: { ms: number; targetIndex: number; snapshotIndex: number | undefined };
  try {
    await sleep(1000); // the writes are under way before the follower goes
    await subject.rejoinWiped(follower);
    const restartedAt = performance.now();
    const target = (await subject.commitIndex(leader)) ?? NaN;
    say(`  ${c.system}: follower ${follower + 1} wiped and restarted; waiting until it has applied index ${target}`);
    caughtUp = { ms: NaN, targetIndex: target, snapshotIndex: undefined };
    while (since(restartedAt) < 600_000) {
      const applied = await subject.appliedIndex(follower);
      if (applied !== undefined && applied >= target) {
        caughtUp = { ms: since(restartedAt), targetIndex: target, snapshotIndex: await subject.snapshotIndex(follower) };
        break;
      }
      await sleep(50);
    }
  } finally {
    stop = true;
    await load;
  }
  return { ...caughtUp, writesPerSec: acked / (since(writesStart) / 1000), retries: writer.retries, followerSteps: await subject.longestSteps(follower) };
}

async function probe(subject: ScaleSubject): Promise<ScaleResult> {
  const c = subject.cluster;
  const result: ScaleResult = { system: c.system, keysWritten: 0, stoppedEarly: false, windows: [], restart: null, catchUp: null, errors: [] };
  c.startAll();
  try {
    say(`${c.system}: writing ${keys} keys with ${clients} clients`);
    const lastIndex = await loadPhase(subject, result);
    if (lastIndex < 0) throw new Error('no write was acknowledged');
    say(`${c.system}: SIGKILL all three, restart, read key ${key8(lastIndex)}`);
    result.restart = await restartPhase(subject, key8(lastIndex));
    say(`  last key reads after ${f(result.restart.lastKeyReadMs, 0)} ms; per member ${result.restart.perMemberMs.map((ms) => f(ms, 0)).join(' / ')} ms ` +
      `(processes answering after ${result.restart.answeringMs.map((ms) => f(ms, 0)).join(' / ')} ms, a leader after ${f(result.restart.leaderMs, 0)} ms)`);
    const catchUp = await catchUpPhase(subject, keys);
    result.catchUp = catchUp;
    say(`  follower caught up in ${f(catchUp.ms, 0)} ms (index ${catchUp.targetIndex}); writes meanwhile ${f(catchUp.writesPerSec, 0)}/s, ${catchUp.retries} retries`);
  } catch (err) {
    result.errors.push(err instanceof Error ? err.message : String(err));
    say(`  ${c.system}: ${result.errors[result.errors.length - 1]}`);
  } finally {
    await c.stopAll();
  }
  return result;
}

async function main(): Promise<void> {
  const header = runHeader();
  const chosen = args.systems.split(',');
  say(`bench:scale on ${header.machine}, commit ${header.commit}, load average ${header.loadAtStart}`);
  const systems = await startSystems(say);
  const results: ScaleResult[] = [];
  try {
    if (chosen.includes('ours')) results.push(await probe(ourSubject(systems.ours)));
    if (chosen.includes('etcd')) {
      // By default etcd holds as much data as ours reached, so the two columns compare equal data.
      const oursRun = results[0];
      const etcdKeys = args['etcd-keys'] === 'same' ? (oursRun && oursRun.keysWritten > 0 ? oursRun.keysWritten : keys) : Number(args['etcd-keys']);
      if (etcdKeys !== keys) say(`etcd: writing ${etcdKeys} keys, as many as raft-kv acknowledged (--etcd-keys N to choose)`);
      keys = etcdKeys;
      windowKeys = Math.min(windowKeys, keys);
      results.push(await probe(etcdSubject(systems.etcd)));
    }
  } finally {
    await systems.close();
  }
  const ours = results.find((r) => r.system === 'raft-kv');
  const etcd = results.find((r) => r.system === 'etcd');
  const md = [
    `## Scale probe (\`npm run bench:scale\`)${args.section === 'scale' ? '' : `: ${args.section}`}`,
    '',
    ...provenance(header),
    `Each system on a fresh 3-member cluster at its defaults (raft-kv: no RAFT_*/KV_*/LOG_* variables; etcd ${systems.etcdVersion}: no flags beyond names and URLs), one after the other. ` +
      `${clients} closed-loop clients write ${requestedKeys.toLocaleString('en')} distinct 8-byte keys with 256-byte values (${mib(liveDataBytes(requestedKeys))} MiB of live data), ` +
      `a row per ${Number(args.window).toLocaleString('en')} acknowledged writes; a load phase longer than ${args['max-minutes']} minutes stops there. ` +
      'Then SIGKILL all three and restart; then a follower is wiped and restarted while the clients write new keys.',
    `Command: \`npm run bench:scale -- --keys ${requestedKeys} --window ${args.window} --clients ${clients} --systems ${args.systems} --max-minutes ${args['max-minutes']} --etcd-keys ${args['etcd-keys']}${args.section === 'scale' ? '' : ` --section ${args.section}`}\`. Machine: ${os.cpus().length} cores shared with other work.`,
    '',
    summaryTable(ours, etcd, requestedKeys),
    '',
    ...results.flatMap((r) => [
      `### ${r.system}: per window`,
      '',
      windowTable(r),
      '',
      ...(r.errors.length > 0 ? [`Errors: ${r.errors.join('; ')}`, ''] : []),
      r.restart ? `Restart after SIGKILL of all three: the last key read after ${f(r.restart.lastKeyReadMs, 0)} ms; each member served it after ${r.restart.perMemberMs.map((ms) => f(ms, 0)).join(' / ')} ms. ` +
        `Where the time went: the processes answered status requests after ${r.restart.answeringMs.map((ms) => f(ms, 0)).join(' / ')} ms, and a leader was elected after ${f(r.restart.leaderMs, 0)} ms.` : '',
      r.catchUp ? `Wiped follower: applied the leader's commit index of its restart (${r.catchUp.targetIndex}) after ${f(r.catchUp.ms, 0)} ms` +
        `${r.catchUp.snapshotIndex !== undefined ? ` (its log now starts after snapshot index ${r.catchUp.snapshotIndex})` : ''}; the clients wrote ${f(r.catchUp.writesPerSec, 0)}/s meanwhile, with ${r.catchUp.retries} retries.` +
        `${r.catchUp.followerSteps ? ` Its longest synchronous steps meanwhile (core/snapshot chunk/snapshot commit): ${stepsCell(r.catchUp.followerSteps)} ms.` : ''}` : '',
      '',
    ]),
  ].join('\n');
  saveSection(args.section, { ...header, markdown: md, data: { keys: requestedKeys, windowKeys: Number(args.window), clients, maxMinutes: Number(args['max-minutes']), etcdVersion: systems.etcdVersion, results } });
  say(`\n${md}\nwritten to node-server/bench/results.md and results.json`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:scale failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
