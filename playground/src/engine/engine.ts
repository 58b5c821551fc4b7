/**
 * The engine owns the run on screen and answers the page's commands. It knows nothing of the DOM
 * or of workers: the worker (worker.ts) and the tests wire it to a Scheduler and a post function.
 * Each job has its own module:
 *
 *   run.ts        the simulation, its script, and the clients and load derived from it
 *   timeline.ts   checkpoints and branches (time travel)
 *   playback.ts   playing at a speed, stepping forward and back, run until, seek
 *   clients.ts    the panel's clients, following leader hints and retrying
 *   checks.ts     safety panel, linearizability, challenges
 *   guided.ts     guided scenarios at the page's pace
 *   publish.ts    the snapshot the page draws
 */
import type { InFlightMessage, SimAction } from '@raft-kv/core/sim';
import { ChallengeWatch, LinearizabilityWatch } from './checks';
import { clientNames } from './clients';
import { Feed } from './feed';
import { GuidedRuns } from './guided';
import type { GuidedHost } from './guided';
import { Pacer } from './pacer';
import { Explainer } from './pseudocode';
import * as playback from './playback';
import type { EngineCommand, LearnerAction, LoadedRun, RunSetup, SharedRun, SimSnapshot } from './protocol';
import { buildSnapshot } from './publish';
import { Run } from './run';
import { replayShared } from './replay';
import { guidedScenario } from './scenarios';
import type { GuidedScenario } from './scenarios';
import { playgroundSimConfig } from './sim-config';
import { Timeline, defaultTimelineLimits } from './timeline';
import type { TimelineLimits } from './timeline';

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
  /** A link's run or a scenario file to open instead of a fresh cluster. */
  open?: SharedRun;
  /**
   * Wait for ack() after each snapshot before posting the next (the page applies at most one per
   * animation frame; without this a busy page would fall behind a queue of stale snapshots).
   */
  backPressure?: boolean;
  /** When the timeline takes checkpoints (tests force them at chosen moments; the page uses the defaults). */
  timelineLimits?: TimelineLimits;
}

export const speedMin = 0.01;
export const speedMax = 100;
/** About one screen refresh: how often the engine moves time and posts a snapshot while playing. */
export const frameMs = 16;
/** Least real time between two snapshots while playing: the page needs no more than this. */
export const publishEveryMs = 50;
/** A frame never catches up more real time than this (a background tab must not jump minutes). */
const frameRealMaxMs = 100;

export const clampSpeed = (speed: number): number => Math.min(speedMax, Math.max(speedMin, Number.isFinite(speed) ? speed : 1));

export class Engine implements GuidedHost {
  run!: Run;
  timeline!: Timeline;
  readonly pacer = new Pacer();
  private playing: boolean;
  private speed: number;
  private debtMs = 0;
  private lastReal: number;
  private timer: unknown = null;
  private seq = 0;
  private verbose = false;
  private readonly feed = new Feed();
  private readonly guided = new GuidedRuns();
  private readonly lin = new LinearizabilityWatch();
  private readonly challenges = new ChallengeWatch();
  private inspected: InFlightMessage | null = null;
  private readonly explainer = new Explainer();
  private logLo: number | null = null;
  private loaded: LoadedRun | null = null;
  private readonly backPressure: boolean;
  private readonly timelineLimits: TimelineLimits;
  private awaitingAck = false;
  private publishPending = false;
  private lastPublishReal = -Infinity;
  private readonly scheduler: Scheduler;
  private readonly post: (snapshot: SimSnapshot) => void;

  constructor(options: EngineOptions, scheduler: Scheduler, post: (snapshot: SimSnapshot) => void) {
    this.scheduler = scheduler;
    this.post = post;
    this.playing = options.playing;
    this.speed = clampSpeed(options.speed);
    this.lastReal = scheduler.now();
    this.backPressure = options.backPressure ?? false;
    this.timelineLimits = options.timelineLimits ?? defaultTimelineLimits;
    if (options.open) this.open(options.open);
    else this.startRun(options.setup);
    this.publish(true);
    if (this.playing) this.schedule(frameMs);
  }

  get sim() {
    return this.run.sim;
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
        this.guided.abort('reset', (r) => this.pacer.abort(r), true);
        this.startRun(command.setup);
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
        playback.stepForward(this.world());
        break;
      case 'stepBack':
        this.travel('time travel', () => playback.stepBack(this.world()));
        break;
      case 'runUntil':
        this.travel('run until', () => playback.runUntil(this.world(), command.until));
        break;
      case 'setSpeed':
        this.setSpeed(command.speed);
        break;
      case 'seek':
        this.travel('time travel', () => playback.seek(this.world(), command.at));
        break;
      case 'seekViolation': {
        const v = this.sim.violations[command.index];
        if (v) this.travel('time travel', () => playback.seekViolation(this.world(), command.index, v.at));
        break;
      }
      case 'switchBranch':
        this.switchBranch(command.id);
        break;
      case 'act':
        this.record({ type: 'sim', action: command.action });
        break;
      case 'client':
        this.record({
          type: 'request', client: command.client ?? clientNames[0], op: command.op, key: command.key, value: command.value,
          target: command.target, stale: command.stale, retry: command.retry ?? false,
        });
        break;
      case 'setLoad':
        this.record({ type: 'setLoad', opsPerSec: command.opsPerSec });
        break;
      case 'setVerboseFeed':
        this.verbose = command.verbose;
        break;
      case 'runScenario':
        this.runScenario(command.id, command.protocol);
        break;
      case 'stopScenario':
        this.guided.abort('stopped', (r) => this.pacer.abort(r), true);
        break;
      case 'load':
        this.guided.abort('another run opened', (r) => this.pacer.abort(r), true);
        this.open(command.run);
        break;
      case 'setLogView':
        this.logLo = command.lo;
        break;
      case 'inspect':
        this.inspected = command.id === null ? null : (this.sim.network.inFlight.get(command.id) ?? (this.inspected?.id === command.id ? this.inspected : null));
        // An inspected message is explained too (its sender's and receiver's rules).
        if (command.id === null) this.explainer.closeMessage();
        else this.explainer.select({ kind: 'message', id: command.id }, this.sim, this.feed, this.inspected);
        break;
      case 'explain':
        this.explainer.select(command.target, this.sim, this.feed, this.inspected);
        break;
    }
    this.publish(true);
    // Scenario continuations run after this task; a prompt frame publishes what they did.
    if (this.playing || this.guided.running) this.schedule(this.playing ? frameMs : 0);
  }

  /** Moves in time: stops playing, and a scenario under way ends (its script belongs to the moment it was at). */
  private travel(reason: string, move: () => void): void {
    this.guided.abort(reason, (r) => this.pacer.abort(r), false);
    this.playing = false;
    move();
    this.lin.reset();
  }

  /** Every change to the world goes through here: recorded in the script (a new branch when in the past), then applied. */
  private record(action: LearnerAction): number | undefined {
    const entry = this.timeline.append(this.run, action);
    return this.run.applyEntry(entry);
  }

  /** Guided scenarios act through here (PacedWorld). */
  act(action: SimAction): number | undefined {
    return this.record({ type: 'sim', action });
  }

  setSpeed(speed: number): void {
    this.speed = clampSpeed(speed);
    // Time owed from frames at the old speed would otherwise run at once (a fast blink before a slow part).
    this.debtMs = 0;
  }

  nextSeq(): number {
    return this.feed.seq();
  }

  finished(): void {
    // Stop on the verdict, so the final state stays on screen to be looked at, with the final
    // history's linearizability verdict (the page's check is otherwise throttled).
    this.playing = false;
    this.lin.update(this.sim, () => this.scheduler.now(), true);
    this.publish(true);
  }

  private world(): playback.PlaybackWorld {
    return { run: this.run, timeline: this.timeline, pacer: this.pacer, realNow: () => this.scheduler.now() };
  }

  private startRun(setup: RunSetup, config = playgroundSimConfig(setup), watchChallenges = true): void {
    this.adopt(new Run(setup, config), undefined);
    if (watchChallenges) this.challenges.watch(this.run, () => this.timeline.current.script);
    else this.challenges.unwatch();
  }

  /** Shows `run` (with its timeline), forgetting what the previous run's views held. */
  private adopt(run: Run, timeline: Timeline | undefined): void {
    this.run = run;
    this.timeline = timeline ?? new Timeline(run, this.timelineLimits);
    this.guided.clearNotes();
    this.inspected = null;
    this.explainer.clear();
    this.loaded = null;
    this.debtMs = 0;
    this.lin.reset();
  }

  private switchBranch(id: number): void {
    const at = this.sim.now;
    this.guided.abort('time travel', (r) => this.pacer.abort(r), false);
    if (!this.timeline.switchTo(this.run, id)) return;
    this.playing = false;
    playback.seek(this.world(), Math.min(at, this.timeline.horizon));
    this.lin.reset();
  }

  /** Opens a link's run or a scenario file: replays it to its moment, paused there, with its verdict. */
  private open(shared: SharedRun): void {
    const replayed = replayShared(shared);
    this.adopt(replayed.run, replayed.timeline);
    this.challenges.watch(this.run, () => this.timeline.current.script);
    this.playing = false;
    this.loaded = { title: shared.title ?? null, status: replayed.verdict, results: replayed.results };
  }

  private runScenario(id: string, protocol: RunSetup['protocol'] | undefined): void {
    const scenario: GuidedScenario | undefined = guidedScenario(id);
    if (!scenario) return;
    this.guided.abort('another scenario started', (r) => this.pacer.abort(r), true);
    const setup = { ...this.run.setup, protocol: protocol ?? this.run.setup.protocol };
    const config = scenario.simConfig(setup);
    this.startRun({ ...setup, nodeCount: config.nodeCount ?? setup.nodeCount, loadOpsPerSec: 0, lossRate: 0 }, config, false);
    this.playing = true;
    this.lastReal = this.scheduler.now();
    this.guided.start(scenario, this);
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
      const target = this.run.now + this.debtMs + dt * this.speed;
      yielded = !this.advance(target);
      this.debtMs = yielded ? Math.max(0, target - this.run.now) : 0;
    }
    this.publish(!this.playing || real - this.lastPublishReal >= publishEveryMs);
    // After a scenario wait settles, its script must run before time moves on: come back at once.
    if (this.playing) this.schedule(yielded ? 0 : frameMs);
  }

  /** Runs toward `target`; returns false when it stopped early because a scenario wait settled. */
  private advance(target: number): boolean {
    const pacer = this.pacer;
    let done: boolean;
    if (!pacer.waiting) {
      done = this.run.advance(target);
    } else {
      const deadline = pacer.nextDeadline();
      const reached = this.run.advance(Math.min(target, deadline), () => pacer.anyConditionHolds());
      done = reached && deadline > target;
      if (pacer.settle(this.run.now)) done = false;
    }
    this.timeline.record(this.run, () => this.scheduler.now());
    return done;
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
    if (this.backPressure) this.awaitingAck = true;
    this.post(this.snapshot());
  }

  snapshot(): SimSnapshot {
    const lin = this.lin.update(this.sim, () => this.scheduler.now());
    this.challenges.noteLinearizability(lin);
    return buildSnapshot(++this.seq, {
      run: this.run,
      timeline: this.timeline,
      playing: this.playing,
      speed: this.speed,
      feed: this.feed,
      notes: this.guided.notes,
      verbose: this.verbose,
      linearizability: lin,
      challenges: this.challenges.views(),
      scenarioStatus: this.guided.status,
      scenarioRun: this.guided.current,
      inspected: this.inspected,
      pseudocode: this.explainer.current(this.sim),
      logLo: this.logLo,
      loaded: this.loaded,
    });
  }

  dispose(): void {
    if (this.timer !== null) this.scheduler.cancel(this.timer);
    this.timer = null;
    this.guided.abort('disposed', (r) => this.pacer.abort(r), true);
  }
}
