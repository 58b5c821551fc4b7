/**
 * The pseudocode view through the engine: a feed line shows the rules the core applied for its
 * event, a message shows its sender's rules and, once it arrived, its receiver's; all of it read
 * from the core's decision traces.
 */
import { describe, expect, it } from 'vitest';
import { leaderOf, setupOf, start } from './engine-harness';

describe('pseudocode view', () => {
  it('a feed line of an election shows the candidate rules with the vote count', async () => {
    const e = start({ speed: 20, setup: setupOf({ seed: 3 }) });
    const won = (text: string) => / won the vote for term /.test(text);
    const s = await e.until((x) => leaderOf(x) !== undefined && x.feed.some((f) => won(f.text)));
    const line = s.feed.find((f) => won(f.text))!;
    e.engine.handle({ type: 'explain', target: { kind: 'event', seq: line.seq } });
    const view = e.last().lab!.pseudocode!;
    expect(view.target).toEqual({ kind: 'event', seq: line.seq });
    expect(view.title).toBe(line.text);
    const lines = view.sections.flatMap((x) => x.lines);
    const majority = lines.find((l) => l.rule === 'Candidates 2' && l.holds);
    expect(majority, lines.map((l) => `${l.rule}: ${l.condition}`).join('\n')).toBeDefined();
    expect(majority!.condition).toMatch(/^granted [23] >= majority 2$/);
    expect(majority!.result).toBe('become leader');
    e.engine.handle({ type: 'explain', target: null });
    expect(e.last().lab!.pseudocode).toBeNull();
  });

  it('an inspected AppendEntries shows why the leader sent it and, once delivered, the receiver steps 1-5', async () => {
    const e = start({ speed: 10, setup: setupOf({ seed: 8 }) });
    await e.until((s) => leaderOf(s) !== undefined && s.nodes.every((n) => n.commitIndex >= 1));
    e.engine.handle({ type: 'pause' });
    while (!e.last().messages.some((m) => m.type === 'AppendEntries')) e.engine.handle({ type: 'step' });
    const m = e.last().messages.find((x) => x.type === 'AppendEntries')!;
    e.engine.handle({ type: 'inspect', id: m.id });
    const before = e.last().lab!.pseudocode!;
    expect(before.sections.map((s) => s.role)).toEqual(['sender']);
    expect(before.sections[0]!.lines.map((l) => l.rule)).toContain('Leaders 1');
    expect(before.note).toMatch(/not received it yet/);
    e.engine.handle({ type: 'play' });
    await e.until((s) => s.clock.now > m.deliverAt + 1);
    const after = e.last().lab!.pseudocode!;
    const receiver = after.sections.find((s) => s.role === 'receiver')!;
    expect(receiver.node).toBe(m.to);
    expect(receiver.lines.map((l) => l.rule)).toEqual(expect.arrayContaining(['AppendEntries receiver 1', 'AppendEntries receiver 2', 'AppendEntries receiver 5']));
    expect(receiver.lines[0]!.condition).toBe(`term ${m.term} < currentTerm ${m.term}`);
    // Long after, when its traces have left the log the simulation keeps, the story stays.
    e.engine.handle({ type: 'setSpeed', speed: 100 });
    await e.until((s) => s.clock.now > m.deliverAt + 60_000);
    expect(e.engine.sim.traceLog[0]!.at, 'the oldest trace kept is after the delivery').toBeGreaterThan(m.deliverAt);
    expect(e.last().lab!.pseudocode!.sections.map((s) => s.role)).toEqual(['sender', 'receiver']);
  });

  it('a line the simulator wrote (a crash) says that no rule ran', async () => {
    const e = start({ speed: 20, setup: setupOf({ seed: 3 }) });
    await e.until((x) => leaderOf(x) !== undefined);
    e.engine.handle({ type: 'act', action: { type: 'crash', node: 'n2' } });
    const line = e.last().feed.find((f) => f.kind === 'fault' && f.node === 'n2')!;
    expect(line).toBeDefined();
    e.engine.handle({ type: 'explain', target: { kind: 'event', seq: line.seq } });
    const view = e.last().lab!.pseudocode!;
    expect(view.sections).toEqual([]);
    expect(view.note).toMatch(/crash .* no rule ran/);
  });
});
