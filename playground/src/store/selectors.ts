/**
 * Pure selectors and view math over snapshots: what each component reads. No React, no DOM: each
 * is tested on plain data.
 */
import type { ClientRequestView, EntryView, MessageView, NodeSnapshot, SimSnapshot } from '../engine/protocol';
import type { PlaygroundState } from './store';

const noNodes: NodeSnapshot[] = [];

export const selectSim = (s: PlaygroundState): SimSnapshot | null => s.sim;
export const selectNodes = (s: PlaygroundState): NodeSnapshot[] => s.sim?.nodes ?? noNodes;
export const selectNodeIds = (s: PlaygroundState): string => (s.sim?.nodes ?? noNodes).map((n) => n.id).join(',');
export const selectNode = (id: string) => (s: PlaygroundState): NodeSnapshot | undefined => s.sim?.nodes.find((n) => n.id === id);
export const selectNow = (s: PlaygroundState): number => s.sim?.clock.now ?? 0;

/** The leader with the highest term among live nodes (two can briefly coexist in different terms). */
export function leaderOf(nodes: readonly NodeSnapshot[]): NodeSnapshot | undefined {
  let best: NodeSnapshot | undefined;
  for (const n of nodes) if (n.displayRole === 'leader' && (!best || n.term > best.term)) best = n;
  return best;
}

export const selectLeaderId = (s: PlaygroundState): string | null => leaderOf(selectNodes(s))?.id ?? null;

/** Live mode: the snapshot describes real nodes. */
export const selectIsLive = (s: PlaygroundState): boolean => s.sim?.live !== undefined;

// ---- nodes that are down --------------------------------------------------------------------------

/** What a node that is down is called: the simulator's crash, or why a real node is down. */
export function downLabel(node: Pick<NodeSnapshot, 'live'>): string {
  if (!node.live) return 'crashed';
  switch (node.live.downReason) {
    case 'stopped': return 'stopped';
    case 'starting': return 'starting';
    case 'connecting': return 'connecting';
    default: return 'unreachable';
  }
}

/** The role as a word for people: pre-vote for a pre-candidate, the down label for a node that is down. */
export function roleLabel(node: Pick<NodeSnapshot, 'up' | 'role' | 'live'>): string {
  if (!node.up) return downLabel(node);
  return node.role === 'preCandidate' ? 'pre-vote' : node.role;
}

/**
 * Kill needs a process; restart needs none. In the simulator that is whether the node is up; a
 * real node can be unreachable while its process runs, so live mode asks the supervisor's view.
 */
export function canKill(node: Pick<NodeSnapshot, 'up' | 'live'>): boolean {
  return node.live ? node.live.process !== 'stopped' : node.up;
}

export function canRestart(node: Pick<NodeSnapshot, 'up' | 'live'>): boolean {
  return node.live ? node.live.process === 'stopped' : !node.up;
}

// ---- links ------------------------------------------------------------------------------------

export type LinkState = 'up' | 'cut' | 'forward-cut' | 'backward-cut';

/** The state of the link a-b: "forward" is a->b. */
export function linkState(cutLinks: readonly string[], a: string, b: string): LinkState {
  const ab = cutLinks.includes(`${a}>${b}`);
  const ba = cutLinks.includes(`${b}>${a}`);
  if (ab && ba) return 'cut';
  if (ab) return 'forward-cut';
  if (ba) return 'backward-cut';
  return 'up';
}

/** A node is isolated when every link to and from it is cut. */
export function isIsolated(cutLinks: readonly string[], id: string, ids: readonly string[]): boolean {
  return ids.every((other) => other === id || (cutLinks.includes(`${id}>${other}`) && cutLinks.includes(`${other}>${id}`)));
}

/** The two sides of a partition being drawn: A (every node not put on B) and B; empty unless both have someone. */
export function sideGroups(ids: readonly string[], sides: Readonly<Record<string, 'A' | 'B'>>): string[][] {
  const b = ids.filter((id) => sides[id] === 'B');
  const a = ids.filter((id) => sides[id] !== 'B');
  return a.length > 0 && b.length > 0 ? [a, b] : [];
}

/** The groups of nodes that can talk both ways with each other (connected over links up in both directions). */
export function networkSides(ids: readonly string[], cutLinks: readonly string[]): string[][] {
  const cut = new Set(cutLinks);
  const seen = new Set<string>();
  const groups: string[][] = [];
  for (const start of ids) {
    if (seen.has(start)) continue;
    const group = [start];
    seen.add(start);
    for (let i = 0; i < group.length; i++) {
      for (const other of ids) {
        if (seen.has(other) || cut.has(`${group[i]}>${other}`) || cut.has(`${other}>${group[i]}`)) continue;
        seen.add(other);
        group.push(other);
      }
    }
    groups.push(group);
  }
  return groups;
}

/** Nodes cut off in a group without a majority of the cluster: they cannot elect a leader or commit. */
export function minorityNodes(ids: readonly string[], cutLinks: readonly string[]): Set<string> {
  const groups = networkSides(ids, cutLinks);
  if (groups.length < 2) return new Set();
  return new Set(groups.filter((g) => g.length * 2 <= ids.length).flat());
}

/** Every unordered pair once, in ring order. */
export function linkPairs(ids: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) pairs.push([ids[i]!, ids[j]!]);
  return pairs;
}

// ---- geometry ---------------------------------------------------------------------------------

export interface Point {
  x: number;
  y: number;
}

/** Nodes evenly on a circle, the first at the top, going clockwise. */
export function ringLayout(ids: readonly string[], center: Point, radius: number): Record<string, Point> {
  const out: Record<string, Point> = {};
  ids.forEach((id, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / ids.length;
    out[id] = { x: center.x + radius * Math.cos(angle), y: center.y + radius * Math.sin(angle) };
  });
  return out;
}

/**
 * Where a message is drawn: along its link from sender to receiver, by the share of its flight
 * time that has passed, shifted sideways so traffic in the two directions uses two lanes.
 * `inset` keeps the dot off the node circles.
 */
export function messagePoint(m: Pick<MessageView, 'sentAt' | 'deliverAt'>, now: number, from: Point, to: Point, inset: number, lane: number): Point & { progress: number } {
  const span = m.deliverAt - m.sentAt;
  const progress = span <= 0 ? 1 : Math.min(1, Math.max(0, (now - m.sentAt) / span));
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const length = Math.hypot(dx, dy) || 1;
  const ux = dx / length;
  const uy = dy / length;
  const travel = Math.max(0, length - 2 * inset);
  const along = inset + travel * progress;
  // The lane is to the right of the direction of travel, so opposite directions never overlap.
  return { x: from.x + ux * along - uy * lane, y: from.y + uy * along + ux * lane, progress };
}

/** An SVG arc path for a fraction (0..1) of a circle, starting at the top, clockwise. */
export function arcPath(center: Point, radius: number, fraction: number): string {
  const f = Math.min(0.9999, Math.max(0, fraction));
  if (f <= 0) return '';
  const angle = -Math.PI / 2 + 2 * Math.PI * f;
  const x = center.x + radius * Math.cos(angle);
  const y = center.y + radius * Math.sin(angle);
  const large = f > 0.5 ? 1 : 0;
  return `M ${center.x} ${center.y - radius} A ${radius} ${radius} 0 ${large} 1 ${x.toFixed(2)} ${y.toFixed(2)}`;
}

export function timerFraction(node: Pick<NodeSnapshot, 'timer'>): number {
  if (!node.timer || node.timer.timeout <= 0) return 0;
  return Math.min(1, node.timer.elapsed / node.timer.timeout);
}

// ---- colours ----------------------------------------------------------------------------------

/** Calm, distinguishable hues for terms 1..8, repeating; term 0 (nothing yet) is neutral. */
const termHues = ['#8ecae6', '#ffd58a', '#b8e0b0', '#f4b6c2', '#c9b6e4', '#a8dadc', '#f6c9a0', '#d4d89a'];

export function termColor(term: number): string {
  if (term <= 0) return '#eef0f3';
  return termHues[(term - 1) % termHues.length]!;
}

// ---- logs -------------------------------------------------------------------------------------

export interface LogCell {
  index: number;
  entry: EntryView | null;
  committed: boolean;
  applied: boolean;
  /** This is the last committed index (the commit marker) / the last applied one. */
  isCommit: boolean;
  isApplied: boolean;
  /** The leader's nextIndex/matchIndex for this follower point here. */
  isNext: boolean;
  isMatch: boolean;
}

/**
 * One node's row of the aligned log: a cell per index in the window. Commit and applied come from
 * memory while the node is up; while it is down only the disk is left, so entries are shown as
 * on disk and only the durable commit index applies.
 */
export function logRow(node: Pick<NodeSnapshot, 'entries' | 'up' | 'commitIndex' | 'lastApplied' | 'durable'>, window: { lo: number; hi: number }, leaderProgress: { match: number; next: number } | null): LogCell[] {
  const byIndex = new Map(node.entries.map((e) => [e.index, e]));
  const commit = node.up ? node.commitIndex : node.durable.commit;
  const applied = node.up ? node.lastApplied : 0;
  const cells: LogCell[] = [];
  for (let index = window.lo; index <= window.hi; index++) {
    cells.push({
      index,
      entry: byIndex.get(index) ?? null,
      committed: index <= commit,
      applied: index <= applied,
      isCommit: index === commit,
      isApplied: index === applied,
      isNext: leaderProgress !== null && leaderProgress.next === index,
      isMatch: leaderProgress !== null && leaderProgress.match === index,
    });
  }
  return cells;
}

// ---- time and speed ---------------------------------------------------------------------------

/** Speed slider positions are log10(speed): -2 (0.01x) to 2 (100x). */
export const speedToSlider = (speed: number): number => Math.log10(speed);

export function sliderToSpeed(value: number): number {
  const raw = 10 ** Math.min(2, Math.max(-2, value));
  // Round to two significant digits so the label reads 0.32x or 3.2x, not 3.1622776x.
  const digits = Math.max(0, 1 - Math.floor(Math.log10(raw)));
  return Number(raw.toFixed(digits));
}

export function formatSpeed(speed: number): string {
  return `${speed >= 1 ? speed.toFixed(speed >= 10 ? 0 : 1) : speed.toPrecision(2).replace(/0+$/, '').replace(/\.$/, '')}x`;
}

export function formatTime(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

// ---- client -----------------------------------------------------------------------------------

/** Why a request got no HTTP answer (status 0), in plain words. */
function noAnswer(error: string, op: ClientRequestView['op']): string {
  const write = op !== 'get';
  switch (error) {
    case 'connection_refused': return 'The node is down: nothing listens on its port.';
    case 'client_timeout': return write ? 'No answer in time (the client gave up). The write may still commit: a timeout does not mean it failed.' : 'No answer in time: the client gave up.';
    case 'no_response': return write ? 'No answer: the node is down, unreachable, or died while answering. The write may or may not have happened.' : 'No answer: the node is down or unreachable.';
    case 'no_cluster': return 'The page does not know this node yet (no answer from the supervisor).';
    default: return 'The node crashed before answering: the write may or may not have happened.';
  }
}

const statusText: Record<number, string> = {
  0: 'no response', 200: 'OK', 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function requestLine(r: ClientRequestView): string {
  if (r.url) {
    const method = r.op === 'put' ? 'PUT' : r.op === 'get' ? 'GET' : 'DELETE';
    const body = r.op === 'put' ? ` ${JSON.stringify({ key: r.key, value: r.value ?? '' })}` : '';
    return `${method} ${r.url}${body} (${r.node}${r.via === 'leader' ? ', the leader' : ''})`;
  }
  const path = r.op === 'put' ? `PUT /set {"key":"${r.key}","value":"${r.value ?? ''}"}` : r.op === 'get' ? `GET /get?key=${r.key}${r.stale ? '&consistency=stale' : ''}` : `DELETE /delete?key=${r.key}`;
  return `${path} to ${r.node}${r.via === 'leader' ? ' (the leader)' : ''}`;
}

export function responseLine(r: ClientRequestView): string {
  if (r.status === null) return 'waiting for the answer…';
  return `${r.status} ${statusText[r.status] ?? ''} ${JSON.stringify(r.body)}`.replace(/\s+/g, ' ');
}

/** What the answer means, in plain words. */
export function explainResponse(r: ClientRequestView): string {
  const body = r.body ?? {};
  switch (r.status) {
    case null: return `Sent at ${formatTime(r.sentAt)}; a write waits for a majority to store it and the leader to apply it.`;
    case 200:
      if (r.op === 'get') return body.stale ? 'A stale read: this node answered from its own copy, which may be behind.' : 'A linearizable read: the leader confirmed it still leads, then this node answered once it had applied that far.';
      return 'Committed by a majority and applied on this node.';
    case 404: return 'The key does not exist (as of a linearizable read).';
    case 409: return body.leaderId ? `This node is not the leader; the client should retry at ${String(body.leaderId)} (${String(body.leader)}).` : 'This node is not the leader and does not know who is.';
    case 504: return 'No majority stored the entry in time. It may still commit later: a timeout does not mean it failed.';
    case 503: return String(body.message ?? 'unavailable');
    case 0: return noAnswer(String(body.error ?? ''), r.op);
    default: return '';
  }
}
