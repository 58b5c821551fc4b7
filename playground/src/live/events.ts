/**
 * Live mode's event log: the core events every node streams, and the page's own notes, in one
 * list ordered by time, as the simulator's event log is. The feed narrates it with the same
 * narrate.ts. Times are page time: ms since the session started (nodes stamp events with their
 * epoch clock; they run on the supervisor's machine, so one clock serves all).
 */
import type { LiveEvent } from '@raft-kv/core';
import type { FeedEvent } from '../engine/feed';
import type { NarratedEvent } from '../engine/narrate';

/** Events kept: about two minutes of a busy 3-node cluster, heartbeats included. */
export const liveEventsMax = 4000;

/** Inserts one event by time (after any with the same time, so a node's batch keeps its order). */
export function insertByTime(log: FeedEvent[], item: FeedEvent): void {
  let i = log.length;
  while (i > 0 && log[i - 1]!.at > item.at) i--;
  if (i === log.length) log.push(item);
  else log.splice(i, 0, item);
}

/** Adds a node's batch to the log (in place) and drops the oldest events beyond `max`. */
export function appendLiveEvents(log: FeedEvent[], batch: readonly LiveEvent[], startedAt: number, max = liveEventsMax): void {
  for (const e of batch) insertByTime(log, { at: e.at - startedAt, event: e.event });
  if (log.length > max) log.splice(0, log.length - max);
}

export function appendNote(log: FeedEvent[], at: number, event: NarratedEvent, max = liveEventsMax): void {
  insertByTime(log, { at, event });
  if (log.length > max) log.splice(0, log.length - max);
}

/** Whether a batch from the wire looks like LiveEvent[] (a malformed one is ignored, not thrown on). */
export function isEventBatch(value: unknown): value is LiveEvent[] {
  return Array.isArray(value) && value.every((e) => typeof e === 'object' && e !== null && typeof (e as LiveEvent).at === 'number'
    && typeof (e as LiveEvent).event === 'object' && (e as LiveEvent).event !== null && typeof (e as LiveEvent).event.type === 'string');
}
