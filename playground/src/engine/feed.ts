/**
 * The event feed: the tail of the simulation's event log, narrated, newest first, merged with the
 * guided scenario's narration. Narrations and sequence numbers are cached per event object, so a
 * busy cluster costs only the new events on each frame.
 */
import type { NarratedEvent, Narration } from './narrate';
import { narrate } from './narrate';
import type { FeedItem } from './protocol';

export const feedItemsMax = 150;

/** An event at a time: the simulator's TimedEvent, or in live mode a node's event or a page note. */
export interface FeedEvent {
  readonly at: number;
  readonly event: NarratedEvent;
}

export interface ScenarioNote {
  seq: number;
  at: number;
  text: string;
}

export class Feed {
  private readonly seqs = new WeakMap<FeedEvent, number>();
  private readonly narrations = new WeakMap<FeedEvent, Narration | null>();
  private nextSeq = 1;

  /** A fresh sequence number (scenario notes share the counter with events). */
  seq(): number {
    return this.nextSeq++;
  }

  private seqOf(e: FeedEvent): number {
    let seq = this.seqs.get(e);
    if (seq === undefined) {
      seq = this.nextSeq++;
      this.seqs.set(e, seq);
    }
    return seq;
  }

  private narrationOf(e: FeedEvent): Narration | null {
    if (!this.narrations.has(e)) this.narrations.set(e, narrate(e.event));
    return this.narrations.get(e) ?? null;
  }

  /** The event behind feed line `seq` (newest first: a selected line is usually recent), if still in `log`. */
  find<E extends FeedEvent>(log: readonly E[], seq: number): E | null {
    for (let i = log.length - 1; i >= 0; i--) if (this.seqs.get(log[i]!) === seq) return log[i]!;
    return null;
  }

  /** Newest first: the last `max` narrated events (key events only unless verbose) and scenario notes. */
  build(log: readonly FeedEvent[], notes: readonly ScenarioNote[], verbose: boolean, max = feedItemsMax): FeedItem[] {
    const items: FeedItem[] = [];
    let n = notes.length - 1;
    const pushNotesAfter = (at: number) => {
      while (n >= 0 && notes[n]!.at >= at && items.length < max) {
        const note = notes[n--]!;
        items.push({ seq: note.seq, at: note.at, node: null, text: note.text, kind: 'scenario', tone: 'info' });
      }
    };
    for (let i = log.length - 1; i >= 0 && items.length < max; i--) {
      const e = log[i]!;
      const said = this.narrationOf(e);
      if (!said || (!verbose && !said.key)) continue;
      pushNotesAfter(e.at);
      if (items.length >= max) break;
      const node = 'node' in e.event ? e.event.node : null;
      items.push({ seq: this.seqOf(e), at: e.at, node, text: said.text, kind: said.kind, tone: said.tone });
    }
    pushNotesAfter(-Infinity);
    return items;
  }
}
