/**
 * The pseudocode view: the rules of Figure 2 (and the core's extensions) that ran for a selected
 * feed event or message, in order, with the values compared. It only reads the core's own decision
 * traces (core/src/trace.ts, recorded as the handlers decide); nothing here decides anything.
 */
import type { DecisionTrace, Message } from '@raft-kv/core';
import { formatCondition, traceRules } from '@raft-kv/core';
import type { InFlightMessage, Simulation, TimedEvent, TimedTrace } from '@raft-kv/core/sim';
import type { Feed } from './feed';
import { narrate } from './narrate';
import type { ExplainTarget, PseudocodeLine, PseudocodeSection, PseudocodeView } from './protocol';

/** How far from a message's delivery time its receiver's trace may be (both are simulated ms). */
const sameMomentMs = 1e-6;

function lineOf(step: DecisionTrace['steps'][number]): PseudocodeLine {
  return { rule: step.rule, text: traceRules[step.rule], condition: formatCondition(step), holds: step.holds, result: step.result };
}

function describeMessage(m: Message): string {
  return `${m.type}${'preVote' in m && m.preVote ? ' (pre-vote)' : ''} from ${m.from} (term ${m.term})`;
}

/** What the node was doing when it decided, in words. */
function inputTitle(trace: DecisionTrace): string {
  const n = trace.node;
  switch (trace.input) {
    case 'message': return `${n} handles ${trace.message ? describeMessage(trace.message) : 'a message'}`;
    case 'tick': return `${n}'s clock ticks`;
    case 'propose': return `${n} receives a client command`;
    case 'confChange': return `${n} receives a membership change`;
    case 'transfer': return `${n} is asked to hand leadership over`;
    case 'readIndex': return `${n} receives a linearizable read`;
    case 'campaign': return `${n} is told to campaign now`;
    case 'heartbeat': return `${n} is told to send heartbeats now`;
    case 'ready': return `${n} sends what is pending (the host takes a Ready)`;
    case 'advance': return `${n} finished writing to disk (advance)`;
    case 'snapshotTaken': return `${n} took a snapshot`;
    case 'host': return `${n} is called by its host`;
  }
}

export function sectionOf(trace: DecisionTrace, at: number, role: PseudocodeSection['role']): PseudocodeSection {
  return { title: inputTitle(trace), role, node: trace.node, at, lines: trace.steps.map(lineOf) };
}

/** A feed line: the decisions of the input that emitted its event. */
export function explainEvent(target: ExplainTarget, timed: TimedEvent, title: string): PseudocodeView {
  if (!timed.trace) {
    const note = (noRuleEvents as Record<string, string>)[timed.event.type]
      ?? 'The simulator did this (the network, a crash, a client), not a rule of the Raft core: no rule ran.';
    return { target, title, sections: [], note };
  }
  const section = sectionOf(timed.trace, timed.at, 'event');
  return { target, title, sections: [section], note: section.lines.length === 0 ? 'The core recorded this event without testing a rule.' : null };
}

const noRuleEvents = {
  nodeCrashed: 'A crash is something you (or the scenario) did to the node: no rule ran.',
  nodeRestarted: 'A restart is something you (or the scenario) did: the node reads its disk and starts as a follower; no rule ran.',
  messageDropped: 'The network lost this message (or you dropped it): no rule ran.',
  clientReplied: 'A client received its answer: the rules behind it ran when the node answered (select that node\'s events).',
} as const;

/** The trace of the input that sent `message`, newest first (a message is sent once). */
function senderTrace(log: readonly TimedTrace[], message: Message): TimedTrace | null {
  for (let i = log.length - 1; i >= 0; i--) if (log[i]!.trace.sent.includes(message)) return log[i]!;
  return null;
}

/** The receiver's trace for this copy of the message: the one that handled it at its delivery time. */
function receiverTrace(log: readonly TimedTrace[], flight: InFlightMessage): TimedTrace | null {
  for (let i = log.length - 1; i >= 0; i--) {
    const t = log[i]!;
    if (t.trace.message === flight.message && Math.abs(t.at - flight.deliverAt) < sameMomentMs) return t;
  }
  return null;
}

/**
 * A message: why its sender sent it, then what its receiver decided (once it arrived). `known` is
 * the sender's section found earlier: a busy run soon pushes that trace out of the log kept.
 */
export function explainMessage(target: ExplainTarget, flight: InFlightMessage, sim: Simulation, known: PseudocodeSection | null = null): PseudocodeView {
  const m = flight.message;
  const log = sim.traceLog;
  const sections: PseudocodeSection[] = [];
  const sent = senderTrace(log, m);
  if (sent) sections.push({ ...sectionOf(sent.trace, sent.at, 'sender'), title: `Why ${m.from} sent it: ${inputTitle(sent.trace)}` });
  else if (known) sections.push(known);
  const received = receiverTrace(log, flight);
  if (received) sections.push({ ...sectionOf(received.trace, received.at, 'receiver'), title: `What ${m.to} decided: ${inputTitle(received.trace)}` });
  let note: string | null = null;
  if (!received) {
    note = sim.network.inFlight.has(flight.id) || sim.now < flight.deliverAt
      ? `${m.to} has not received it yet: its rules run when it arrives.`
      : `${m.to} never handled it (lost, dropped, or the receiver was down), or it is too old for the trace kept.`;
  }
  if (!sent && !known) note = `${note ? `${note} ` : ''}The sender's decision is older than the trace kept.`;
  return { target, title: `${m.type} ${m.from} → ${m.to}`, sections, note };
}

/**
 * What the view explains now. A feed event's decisions are history: explained once. A message's
 * receiver may not have decided yet: explained again on every snapshot until it has.
 */
export class Explainer {
  private target: ExplainTarget | null = null;
  private flight: InFlightMessage | null = null;
  private view: PseudocodeView | null = null;

  /** Selects a feed line or a message (`inspected`: the message the inspector keeps after delivery). */
  select(target: ExplainTarget | null, sim: Simulation, feed: Feed, inspected: InFlightMessage | null): void {
    this.target = target;
    this.flight = null;
    this.view = null;
    if (target?.kind === 'event') {
      const timed = feed.find(sim.eventLog, target.seq);
      this.view = timed
        ? explainEvent(target, timed, narrate(timed.event)?.text ?? timed.event.type)
        : { target, title: 'An older event', sections: [], note: 'This event is older than the events kept: no trace to show.' };
    } else if (target?.kind === 'message') {
      this.flight = sim.network.inFlight.get(target.id) ?? (inspected?.id === target.id ? inspected : null);
      if (!this.flight) this.view = { target, title: 'A message', sections: [], note: 'This message is no longer known.' };
    }
  }

  /** The message inspector closed: a message's explanation goes with it. */
  closeMessage(): void {
    if (this.target?.kind === 'message') this.clear();
  }

  current(sim: Simulation): PseudocodeView | null {
    if (!this.target) return null;
    // Cheap (a scan of the trace log for one message object): done on every snapshot until the
    // receiver has decided, so its decisions appear when the message arrives. Then the story is
    // complete and kept as it is (its traces soon leave the log kept, but they stay true).
    if (this.flight && !this.view?.sections.some((s) => s.role === 'receiver')) {
      const known = this.view?.sections.find((s) => s.role === 'sender') ?? null;
      this.view = explainMessage(this.target, this.flight, sim, known);
    }
    return this.view;
  }

  clear(): void {
    this.target = null;
    this.flight = null;
    this.view = null;
  }
}
