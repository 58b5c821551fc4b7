/**
 * Failpoints for randomized runs, after etcd's robustness tests (which panic a member just before
 * or after it saves a Ready): a fault that waits for a moment in the protocol instead of striking
 * at a random time.
 * - crash a node the moment it next grants a vote or accepts entries, while that write is still on
 *   its way to disk: a correct node loses nothing it promised, since its answer waits for the
 *   write; a node that answers early has promised something it lost;
 * - isolate the next node to win an election before its first appends leave (Figure 8's step b: a
 *   leader whose entries of its new term reach no one);
 * - make the next node to win an election change the voters at once (promote a learner, or remove
 *   a voter while more than three remain): the window that the own-term rule of single-server
 *   changes closes.
 */
import type { ConfigChange, NodeId } from '../types';
import type { Simulation, TimedEvent } from './simulation';

/** The event a failpoint waits for: a real (not pre-) vote granted, entries accepted from a leader, an election won. */
export type FailpointTrigger = 'voteGranted' | 'appendAccepted' | 'electionWon';

export interface Failpoint {
  /** The node it waits on; null: whichever node gets there first. */
  node: NodeId | null;
  on: FailpointTrigger;
  then: 'crash' | 'isolate' | 'reconfigure';
}

export class Failpoints {
  private armed: Failpoint[] = [];
  /** Failpoints whose event happened in the last step, with the node that hit each. */
  private hits: { point: Failpoint; node: NodeId }[] = [];

  constructor(private readonly sim: Simulation) {
    sim.subscribe((timed) => this.onEvent(timed));
  }

  /** Arms a failpoint; one on the same node (or the same "any node") and event replaces it. */
  arm(point: Failpoint): void {
    this.armed = this.armed.filter((p) => p.node !== point.node || p.on !== point.on);
    this.armed.push(point);
  }

  disarmAll(): void {
    this.armed = [];
    this.hits = [];
  }

  /** Runs up to `ms` of simulated time, acting on each failpoint right after the step that hit it. */
  runFor(ms: number): void {
    const until = this.sim.now + ms;
    while (this.sim.runUntil(() => this.hits.length > 0, until - this.sim.now) && this.hits.length > 0) {
      const hits = this.hits;
      this.hits = [];
      for (const { point, node } of hits) this.act(point, node);
      if (this.sim.now >= until) break;
    }
  }

  private act(point: Failpoint, node: NodeId): void {
    if (point.then !== 'reconfigure') return void this.sim.act({ type: point.then, node });
    const change = this.voterChange(node);
    if (change) this.sim.act({ type: 'client', request: { clientId: 'admin', node, key: '', record: false, op: 'config', change } });
  }

  /**
   * A change of the voter set that `leader` may propose now: a voter removed (never below three),
   * else a learner promoted. Removal first: a leader just elected has not heard from any learner
   * yet, so it refuses to promote one (learner_behind) until it has.
   */
  private voterChange(leader: NodeId): ConfigChange | null {
    const config = this.sim.node(leader).raft?.configuration;
    if (!config) return null;
    const others = config.voters.filter((id) => id !== leader);
    if (config.voters.length > 3) return { type: 'remove', node: others[others.length - 1]! };
    const learner = config.learners[config.learners.length - 1];
    return learner !== undefined ? { type: 'promote', node: learner } : null;
  }

  private onEvent({ event }: TimedEvent): void {
    if (this.armed.length === 0) return;
    if ((event.type === 'voteGranted' || event.type === 'electionWon') && event.preVote) return;
    const point = this.armed.find((p) => p.on === event.type && (p.node === null || p.node === event.node));
    if (!point) return;
    this.armed = this.armed.filter((p) => p !== point);
    this.hits.push({ point, node: event.node });
  }
}
