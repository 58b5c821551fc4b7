/**
 * The engine owns the simulation: it plays it at the chosen speed, applies the user's commands,
 * keeps the timeline for time travel, runs guided scenarios at the UI's pace, and posts plain
 * snapshots. It knows nothing of the DOM or of workers: the worker (worker.ts) and the tests wire
 * it to a Scheduler and a post function.
 */
import { checkLinearizability } from '@raft-kv/core/check';
import type { NodeId } from '@raft-kv/core';
import type { SimAction } from '@raft-kv/core/sim';
import { Simulation } from '@raft-kv/core/sim';
import { Feed } from './feed';
import type { ScenarioNote } from './feed';
import { Pacer, ScenarioAborted } from './pacer';
import type { PacedWorld } from './paced-driver';
import type {
  ClientOp, ClientRequestView, ClientTarget, EngineCommand, LinearizabilityView, RunSetup, ScenarioRun, ScenarioStatus, SimSnapshot,
} from './protocol';
import { guidedScenario, guidedScenarios } from './scenarios';
import type { GuidedScenario } from './scenarios';
import { playgroundSimConfig } from './sim-config';
import { logWindow, messageView, nodeSnapshot } from './snapshot';
import { Timeline } from './timeline';

/** Real time, and timers: the browser's in the worker, a manual clock in tests. */
export interface Scheduler {
  now(): number;
  later(fn: () => void, ms: number): unknown;
  cancel(handle: unknown): void;
}

export interface EngineOptions {
  setup: RunSetup;
  speed: number;
  playing: boolean;
  loadOpsPerSec: number;
  /**
   * Wait for ack() after each snapshot before posting the next (the page applies at most one per
   * animation frame; without this a busy page would fall behind a queue of stale snapshots).
   */
  backPressure?: boolean;
}

export const speedMin = 0.01;
export const speedMax = 100;
/** About one screen refresh: how often the engine moves time and posts a snapshot while playing. */
export const frameMs = 16;
/** Least real time between two snapshots while playing: the page needs no more than this. */
export const publishEveryMs = 50;
/** A frame never catches up more real time than this (a background tab must not jump minutes). */
const frameRealMaxMs = 100;
/** Steps a single "step" may take while looking for something visible to happen. */
const stepSearchMax = 10_000;
const clientRequestsShown = 12;
/** The check reads the whole history; it waits at least this long, and 10 times its last duration. */
const linearizabilityEveryRealMs = 1000;
const linearizabilityStepBudgetPerKey = 200_000;

interface PanelRequest {
  id: number;
  via: 'leader' | 'node';
  stale: boolean;
}

export const clampSpeed = (speed: number): number => Math.min(speedMax, Math.max(speedMin, Number.isFinite(speed) ? speed : 1));

export class Engine implements PacedWorld {
  sim!: Simulation;
  readonly pacer = new Pacer();
  private timeline!: Timeline;
  private setup!: RunSetup;
  private playing: boolean;
  private speed: number;
  private loadOpsPerSec: number;
  private lastLoadSlot = 0;
  private verbose = false;
  private debtMs = 0;
  private lastReal: number;
  private timer: unknown = null;
  private seq = 0;
  private eventCount = 0;
  private panel: PanelRequest[] = [];
  private readonly feed = new Feed();
  private notes: ScenarioNote[] = [];
  private scenarioStatus: Record<string, ScenarioStatus> = {};
  private scenarioRun: ScenarioRun | null = null;
  private scenarioToken = 0;
  private readonly backPressure: boolean;
  private awaitingAck = false;
  private publishPending = false;
  private lastPublishReal = -Infinity;
  private lin: LinearizabilityView = { verdict: 'empty', ops: 0, explanation: null };
  private linCheckedAtReal = -Infinity;
  private linCostMs = 0;
  private readonly scheduler: Scheduler;
  private readonly post: (snapshot: SimSnapshot) => void;

  constructor(options: EngineOptions, scheduler: Scheduler, post: (snapshot: SimSnapshot) => void) {
    this.scheduler = scheduler;
    this.post = post;
    this.playing = options.playing;
    this.speed = clampSpeed(options.speed);
    this.loadOpsPerSec = Math.max(0, options.loadOpsPerSec);
    this.lastReal = scheduler.now();
    this.backPressure = options.backPressure ?? false;
    for (const s of guidedScenarios) this.scenarioStatus[s.info.id] = 'idle';
    this.startRun(options.setup, new Simulation(playgroundSimConfig(options.setup)));
    this.publish(true);
    if (this.playing) this.schedule(frameMs);
  }

  /** The page applied the last snapshot: the next may go. */
  ack(): void {
    this.awaitingAck = false;
    if (this.publishPending) this.publish(true);
  }

  // ---- commands -------------------------------------------------------------------------------

  handle(command: EngineCommand): void {
    switch (command.type) {
      case 'reset':
        this.abortScenario('reset');
        this.startRun(command.setup, new Simulation(playgroundSimConfig(command.setup)));
        break;
      case 'play':
        this.playing = true;
        this.lastReal = this.scheduler.now();
        break;
      case 'pause':
        this.playing = false;
        break;
      case 'step':
        this.playing = false;
        this.stepOnce();
        break;
      case 'setSpeed':
        this.speed = clampSpeed(command.speed);
        break;
      case 'seek':
        this.seek(command.at);
        break;
      case 'act':
        this.act(command.action);
        break;
      case 'client':
        this.client(command.op, command.target, command.key, command.value, command.stale);
        break;
      case 'setLoad':
        this.loadOpsPerSec = Math.max(0, command.opsPerSec);
        this.lastLoadSlot = this.loadSlot(this.sim.now);
        break;
      case 'setVerboseFeed':
        this.verbose = command.verbose;
        break;
      case 'runScenario':
        this.runScenario(command.id);
        break;
      case 'stopScenario':
        this.abortScenario('stopped');
        break;
    }
    this.publish(true);
    // Scenario continuations run after this task; a prompt frame publishes what they did.
    if (this.playing || this.scenarioRun) this.schedule(this.playing ? frameMs : 0);
  }

  /** Every change to the world goes through here; acting in the past forks a new future. */
  act(action: SimAction): number | undefined {
    this.timeline.fork(this.sim);
    return this.sim.act(action);
  }

  private startRun(setup: RunSetup, sim: Simulation): void {
    this.setup = setup;
    this.sim = sim;
    this.eventCount = 0;
    sim.subscribe(() => this.eventCount++);
    this.timeline = new Timeline(sim);
    this.panel = [];
    this.notes = [];
    this.debtMs = 0;
    this.lastLoadSlot = this.loadSlot(sim.now);
    this.lin = { verdict: 'empty', ops: 0, explanation: null };
    this.linCheckedAtReal = -Infinity;
  }

  private client(op: ClientOp, target: ClientTarget, key: string, value: string, stale: boolean): void {
    const node = target === 'leader' ? this.leaderForClient() : target;
    const id = this.act({
      type: 'client',
      request: { clientId: 'panel', node, op, key, ...(op === 'put' ? { value } : {}), ...(op === 'get' && stale ? { consistency: 'stale' as const } : {}) },
    })!;
    const request: PanelRequest = { id, via: target === 'leader' ? 'leader' : 'node', stale: op === 'get' && stale };
    this.panel = [request, ...this.panel].slice(0, clientRequestsShown);
  }

  /** "The leader" as a client finds it: the live leader, else the first live node (which answers as the API does). */
  private leaderForClient(): NodeId {
    const leader = this.sim.leader();
    if (leader) return leader;
    return this.sim.nodeIds.find((id) => this.sim.node(id).up) ?? this.sim.nodeIds[0]!;
  }

  private seek(at: number): void {
    this.abortScenario('time travel');
    this.playing = false;
    // The scrubber moves in whole milliseconds: its right end means the horizon itself.
    const horizon = this.timeline.horizon;
    const target = at >= horizon - 1 ? horizon : Math.max(0, at);
    this.timeline.rewindTo(this.sim, target);
    this.eventCount = 0;
    this.advanceTo(target);
    this.lastLoadSlot = this.loadSlot(this.sim.now);
    this.linCheckedAtReal = -Infinity;
  }

  // ---- time -----------------------------------------------------------------------------------

  private schedule(ms: number): void {
    if (this.timer !== null) return;
    this.timer = this.scheduler.later(() => {
      this.timer = null;
      this.frame();
    }, ms);
  }

  private frame(): void {
    const real = this.scheduler.now();
    const dt = Math.min(Math.max(0, real - this.lastReal), frameRealMaxMs);
    this.lastReal = real;
    let yielded = false;
    if (this.playing) {
      const target = this.sim.now + this.debtMs + dt * this.speed;
      yielded = !this.advanceTo(target);
      this.debtMs = yielded ? Math.max(0, target - this.sim.now) : 0;
    }
    this.publish(!this.playing || real - this.lastPublishReal >= publishEveryMs);
    // After a scenario wait settles, its script must run before time moves on: come back at once.
    if (this.playing) this.schedule(yielded ? 0 : frameMs);
  }

  /**
   * Runs the simulation to `target` (simulated ms): re-applies the recorded future at its exact
   * step, fires the background client load, and stops early when a scenario wait settles (returns
   * false then).
   */
  private advanceTo(target: number): boolean {
    const sim = this.sim;
    while (sim.now < target) {
      const next = this.timeline.nextPending(sim);
      if (next && sim.steps >= next.afterStep) {
        // Nothing is scheduled before next.at (the action first ran after every task due by then).
        if (next.at > target) {
          sim.runUntilTime(target);
          break;
        }
        if (next.at > sim.now) sim.runUntilTime(next.at);
        sim.act(next.action);
        continue;
      }
      const stopAt = Math.min(target, this.pacer.nextDeadline(), this.nextLoadAt());
      if (stopAt > sim.now) {
        sim.runUntil(() => (next !== undefined && sim.steps >= next.afterStep) || this.pacer.anyConditionHolds(), stopAt - sim.now);
      }
      this.maybeFireLoad();
      if (this.pacer.settle(sim.now)) return false;
    }
    this.timeline.record(sim, () => this.scheduler.now());
    return true;
  }

  /** One step that shows something: runs until a message is sent or delivered, or an event happens. */
  private stepOnce(): void {
    const sim = this.sim;
    const signature = () => `${this.eventCount}:${sim.network.inFlight.size}:${lastKey(sim.network.inFlight)}`;
    const before = signature();
    for (let i = 0; i < stepSearchMax; i++) {
      const next = this.timeline.nextPending(sim);
      if (next && sim.steps >= next.afterStep) {
        if (next.at > sim.now) sim.runUntilTime(next.at);
        sim.act(next.action);
        break;
      }
      if (!sim.step()) break;
      this.maybeFireLoad();
      this.pacer.settle(sim.now);
      if (signature() !== before) break;
    }
    this.timeline.record(sim, () => this.scheduler.now());
  }

  // ---- background client load -----------------------------------------------------------------

  private loadSlot(now: number): number {
    return this.loadOpsPerSec > 0 ? Math.floor((now * this.loadOpsPerSec) / 1000 + 1e-9) : 0;
  }

  private nextLoadAt(): number {
    if (this.loadOpsPerSec <= 0) return Infinity;
    return ((this.lastLoadSlot + 1) * 1000) / this.loadOpsPerSec;
  }

  /**
   * A steady stream of client operations (3 writes, then a read) over eight keys, sent to the
   * leader. Replaying the past re-applies the recorded requests instead, so the generator waits
   * until the run is back at its horizon.
   */
  private maybeFireLoad(): void {
    if (this.loadOpsPerSec <= 0) return;
    const slot = this.loadSlot(this.sim.now);
    if (slot <= this.lastLoadSlot) return;
    this.lastLoadSlot = slot;
    if (this.timeline.isInPast(this.sim)) return;
    const leader = this.sim.leader();
    if (!leader) return;
    const key = `load${slot % 8}`;
    const request = slot % 4 === 3
      ? { clientId: 'load', node: leader, op: 'get' as const, key }
      : { clientId: 'load', node: leader, op: 'put' as const, key, value: String(slot) };
    this.sim.act({ type: 'client', request });
  }

  // ---- guided scenarios -----------------------------------------------------------------------

  private runScenario(id: string): void {
    const scenario = guidedScenario(id);
    if (!scenario) return;
    this.abortScenario('another scenario started');
    const setup = { ...this.setup };
    const sim = new Simulation(scenario.simConfig(setup));
    this.startRun({ ...setup, nodeCount: sim.nodeIds.length }, sim);
    const token = ++this.scenarioToken;
    this.scenarioStatus[id] = 'running';
    this.scenarioRun = { id, narration: [], error: null };
    this.playing = true;
    this.lastReal = this.scheduler.now();
    this.execute(scenario, token);
  }

  private execute(scenario: GuidedScenario, token: number): void {
    const id = scenario.info.id;
    const narrate = (text: string) => {
      if (token !== this.scenarioToken || !this.scenarioRun) return;
      const note = { seq: this.feed.seq(), at: this.sim.now, text: `${id}: ${text}` };
      this.notes.push(note);
      this.scenarioRun = { ...this.scenarioRun, narration: [...this.scenarioRun.narration, { at: note.at, text }] };
    };
    scenario.run(this, narrate).then(
      () => this.finishScenario(token, id, 'pass', null),
      (error: unknown) => {
        if (error instanceof ScenarioAborted) return;
        this.finishScenario(token, id, 'fail', error instanceof Error ? error.message : String(error));
      },
    );
  }

  private finishScenario(token: number, id: string, status: 'pass' | 'fail', error: string | null): void {
    if (token !== this.scenarioToken) return;
    this.scenarioStatus[id] = status;
    // Stop on the verdict, so the final state stays on screen to be looked at; play continues.
    this.playing = false;
    const verdict = status === 'pass' ? 'passed' : `failed: ${error}`;
    this.notes.push({ seq: this.feed.seq(), at: this.sim.now, text: `${id} ${verdict}` });
    this.scenarioRun = this.scenarioRun && { ...this.scenarioRun, error, narration: [...this.scenarioRun.narration, { at: this.sim.now, text: `Verdict: ${verdict}` }] };
    this.scenarioToken++;
    this.publish(true);
  }

  private abortScenario(reason: string): void {
    const run = this.scenarioRun;
    if (!run) return;
    if (this.scenarioStatus[run.id] === 'running') {
      this.scenarioStatus[run.id] = 'idle';
      this.scenarioToken++;
      this.pacer.abort(reason);
    }
    this.scenarioRun = null;
  }

  // ---- snapshots ------------------------------------------------------------------------------

  /** Posts a snapshot now if `due` and the page is ready for one; otherwise as soon as it is. */
  private publish(due: boolean): void {
    if (!due) return;
    if (this.awaitingAck) {
      this.publishPending = true;
      return;
    }
    this.publishPending = false;
    this.lastPublishReal = this.scheduler.now();
    this.maybeCheckLinearizability();
    if (this.backPressure) this.awaitingAck = true;
    this.post(this.snapshot());
  }

  private maybeCheckLinearizability(): void {
    const history = this.sim.history;
    if (history.length === this.lin.ops && this.lin.verdict !== 'empty') return;
    if (history.length === 0) {
      this.lin = { verdict: 'empty', ops: 0, explanation: null };
      return;
    }
    const real = this.scheduler.now();
    if (real - this.linCheckedAtReal < Math.max(linearizabilityEveryRealMs, 10 * this.linCostMs)) return;
    this.linCheckedAtReal = real;
    const result = checkLinearizability(history, { stepBudgetPerKey: linearizabilityStepBudgetPerKey });
    this.linCostMs = this.scheduler.now() - real;
    this.lin = { verdict: result.verdict, ops: history.length, explanation: result.failure?.explanation ?? (result.unknownKeys.length ? `search budget exceeded for ${result.unknownKeys.join(', ')}` : null) };
  }

  private clientViews(): ClientRequestView[] {
    const views: ClientRequestView[] = [];
    for (const p of this.panel) {
      const r = this.sim.request(p.id);
      if (!r) continue; // made after the moment now shown (time travel)
      if (r.op !== 'put' && r.op !== 'get' && r.op !== 'delete') continue; // the panel sends only these
      views.push({
        id: r.id, op: r.op, key: r.key, value: r.value ?? null, node: r.node, via: p.via, stale: p.stale, sentAt: r.sentAt,
        status: r.repliedAt !== null && r.response ? r.response.status : null,
        body: r.repliedAt !== null && r.response ? r.response.body : null,
        repliedAt: r.repliedAt,
      });
    }
    return views;
  }

  snapshot(): SimSnapshot {
    const sim = this.sim;
    const window = logWindow(sim);
    return {
      seq: ++this.seq,
      setup: { ...this.setup },
      clock: {
        now: sim.now,
        steps: sim.steps,
        playing: this.playing,
        speed: this.speed,
        horizon: Math.max(this.timeline.horizon, sim.now),
        inPast: this.timeline.isInPast(sim),
      },
      nodes: sim.nodeIds.map((id) => nodeSnapshot(sim, id, window)),
      cutLinks: [...sim.network.cutLinks].sort(),
      network: { ...sim.network.config },
      messages: sim.inFlight().map(messageView),
      logWindow: window,
      feed: this.feed.build(sim.eventLog, this.notes, this.verbose),
      verboseFeed: this.verbose,
      violations: sim.violations.map((v) => ({ at: v.at, node: v.node, property: v.property, message: v.message })),
      linearizability: this.lin,
      client: this.clientViews(),
      loadOpsPerSec: this.loadOpsPerSec,
      scenarios: guidedScenarios.map((s) => s.info),
      scenarioStatus: { ...this.scenarioStatus },
      scenarioRun: this.scenarioRun,
    };
  }

  dispose(): void {
    if (this.timer !== null) this.scheduler.cancel(this.timer);
    this.timer = null;
    this.abortScenario('disposed');
  }
}

function lastKey(map: Map<number, unknown>): number {
  let last = 0;
  for (const key of map.keys()) last = key;
  return last;
}
