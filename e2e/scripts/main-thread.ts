/**
 * Reads a Chromium performance trace (browser.startTracing with devtools.timeline) and measures
 * the page's main thread: the longest task, how many took over 50 ms, and how busy it was.
 */
interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  /** Thread (CPU) time: on a busy machine a task's wall time includes time the thread waited for a core. */
  tdur?: number;
  args?: { name?: string };
}

export interface MainThreadStats {
  tasks: number;
  /** Wall time of the longest task (what the Long Tasks API reports). */
  longestTaskMs: number;
  tasksOver50Ms: number;
  /** CPU time of the longest task: the page's own work, without waiting for a busy CPU. */
  longestTaskCpuMs: number;
  tasksOver50MsCpu: number;
  busyShare: number;
  /** Like busyShare, counting CPU time only. */
  busyShareCpu: number;
  windowMs: number;
  /**
   * What the longest task (by CPU time) spent its time in: the wall milliseconds of the trace
   * events nested in it, by name, the largest first (at most 8), e.g. MajorGC, FunctionCall,
   * Layout. So that a task over the bound names its cause in the test's report.
   */
  longestTaskParts: Record<string, number>;
}

export function mainThreadStats(traceJson: string): MainThreadStats {
  const parsed = JSON.parse(traceJson) as { traceEvents: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : parsed.traceEvents;
  // The renderer's main thread is named CrRendererMain; there is one per page process.
  const mains = events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  let best: MainThreadStats | null = null;
  for (const main of mains) {
    const tasks = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.name === 'RunTask' && e.dur !== undefined);
    if (tasks.length === 0) continue;
    const start = Math.min(...tasks.map((t) => t.ts));
    const end = Math.max(...tasks.map((t) => t.ts + t.dur!));
    const durations = tasks.map((t) => t.dur! / 1000);
    const cpu = tasks.map((t) => (t.tdur ?? t.dur!) / 1000);
    const longest = tasks[cpu.indexOf(Math.max(...cpu))]!;
    const stats: MainThreadStats = {
      tasks: tasks.length,
      longestTaskMs: Math.max(...durations),
      tasksOver50Ms: durations.filter((d) => d > 50).length,
      longestTaskCpuMs: Math.max(...cpu),
      tasksOver50MsCpu: cpu.filter((d) => d > 50).length,
      busyShare: durations.reduce((a, b) => a + b, 0) / ((end - start) / 1000),
      busyShareCpu: cpu.reduce((a, b) => a + b, 0) / ((end - start) / 1000),
      windowMs: (end - start) / 1000,
      longestTaskParts: partsOf(longest, events),
    };
    if (!best || stats.tasks > best.tasks) best = stats;
  }
  if (!best) throw new Error('no renderer main thread tasks in the trace');
  return best;
}

/** The events nested in `task` on its thread, their wall time summed by name (ms), the 8 largest. */
function partsOf(task: TraceEvent, events: readonly TraceEvent[]): Record<string, number> {
  const end = task.ts + task.dur!;
  const byName = new Map<string, number>();
  for (const e of events) {
    if (e === task || e.pid !== task.pid || e.tid !== task.tid || e.ph !== 'X' || e.dur === undefined) continue;
    if (e.ts < task.ts || e.ts + e.dur > end) continue;
    byName.set(e.name, (byName.get(e.name) ?? 0) + e.dur / 1000);
  }
  const top = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 8);
  return Object.fromEntries(top.map(([name, ms]) => [name, Number(ms.toFixed(1))]));
}
