/**
 * Cluster membership (Raft thesis chapter 4): single-server changes, a learner added, a learner
 * promoted to voter, a member removed, one at a time. A configuration takes effect on every node
 * as soon as its entry is in that node's log, committed or not (thesis 4.1): so a node always
 * campaigns, counts votes and counts acknowledgements under the latest configuration in its own
 * log, and if a newer leader truncates that entry, the node falls back to the one before.
 *
 * Membership keeps the configuration of the log's base (the snapshot's, or the initial one) and the
 * configuration entries after it, which is all a truncation can need.
 */
import { assert } from './assert';
import type { Configuration, ConfigChange, Entry, NodeId } from './types';

interface ConfigEntry {
  index: number;
  config: Configuration;
}

export class Membership {
  private base: Configuration;
  private baseIndex: number;
  /** Configuration entries after the base, oldest first. */
  private history: ConfigEntry[] = [];

  constructor(base: Configuration, baseIndex: number) {
    this.base = base;
    this.baseIndex = baseIndex;
  }

  /** The configuration in effect: the latest in the log. */
  get config(): Configuration {
    return this.history.length > 0 ? this.history[this.history.length - 1]!.config : this.base;
  }

  /** The index of the latest configuration entry (the base's index when none follows it). */
  get index(): number {
    return this.history.length > 0 ? this.history[this.history.length - 1]!.index : this.baseIndex;
  }

  /** The configuration in effect at `index` (which must not be before the base). */
  configAt(index: number): Configuration {
    assert(index >= this.baseIndex, `configAt(${index}) before the membership base ${this.baseIndex}`);
    let config = this.base;
    for (const e of this.history) {
      if (e.index > index) break;
      config = e.config;
    }
    return config;
  }

  /** Entries were appended to the log (after any truncation was noted). */
  noteAppended(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.command.op !== 'config') continue;
      assert(entry.index > this.index, `configuration entry ${entry.index} does not follow ${this.index}`);
      this.history.push({ index: entry.index, config: entry.command.config });
    }
  }

  /** The log lost its entries from `index` on (a newer leader overwrote them). */
  noteTruncated(index: number): void {
    assert(index > this.baseIndex, `truncation at ${index} reaches the membership base ${this.baseIndex}`);
    while (this.history.length > 0 && this.history[this.history.length - 1]!.index >= index) this.history.pop();
  }

  /** The log was replaced by a snapshot at `index` whose membership is `config`. */
  noteRestored(index: number, config: Configuration): void {
    this.base = config;
    this.baseIndex = index;
    this.history = [];
  }

  /** Entries up to `index` are committed and covered by a snapshot: fold them into the base. */
  noteCompacted(index: number): void {
    if (index <= this.baseIndex) return;
    this.base = this.configAt(index);
    this.baseIndex = index;
    this.history = this.history.filter((e) => e.index > index);
  }
}

export const isVoter = (config: Configuration, id: NodeId): boolean => config.voters.includes(id);
export const isMember = (config: Configuration, id: NodeId): boolean => config.voters.includes(id) || config.learners.includes(id);
export const membersOf = (config: Configuration): NodeId[] => [...config.voters, ...config.learners];

export type ConfigChangeRefusal =
  | 'already_member'
  | 'not_member'
  | 'not_learner'
  | 'last_voter';

/** Whether `change` applies to `config`, and why not. */
export function checkChange(config: Configuration, change: ConfigChange): ConfigChangeRefusal | null {
  switch (change.type) {
    case 'addLearner':
      return isMember(config, change.node) ? 'already_member' : null;
    case 'promote':
      if (config.learners.includes(change.node)) return null;
      return isVoter(config, change.node) ? 'not_learner' : 'not_member';
    case 'remove':
      if (!isMember(config, change.node)) return 'not_member';
      return config.voters.length === 1 && config.voters[0] === change.node ? 'last_voter' : null;
  }
}

/** The configuration after `change` (which checkChange accepted). */
export function applyChange(config: Configuration, change: ConfigChange): Configuration {
  const voters = config.voters.filter((id) => id !== change.node);
  const learners = config.learners.filter((id) => id !== change.node);
  const addresses = { ...config.addresses };
  switch (change.type) {
    case 'addLearner':
      learners.push(change.node);
      if (change.address) addresses[change.node] = { ...change.address };
      break;
    case 'promote':
      voters.push(change.node);
      break;
    case 'remove':
      delete addresses[change.node];
      break;
  }
  return { voters, learners, addresses };
}
