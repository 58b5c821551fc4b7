/**
 * kvctl's two output formats: `table` for people (aligned columns under a header) and `json` for
 * scripts (one JSON document per command, one JSON object per line for watch).
 */
import type { EndpointStatus, Member } from '../client';
import type { WatchEvent } from '../watch';

/** Columns separated by two spaces, each as wide as its widest cell. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export const json = (value: unknown): string => JSON.stringify(value);

export function statusTable(statuses: readonly EndpointStatus[]): string {
  return table(
    ['ENDPOINT', 'ID', 'ROLE', 'TERM', 'COMMIT', 'APPLIED', 'LEADER'],
    statuses.map((s) => (s.ok
      ? [s.endpoint, s.id ?? '', s.role ?? '', String(s.term), String(s.commitIndex), String(s.lastApplied), s.leaderId ?? '-']
      : [s.endpoint, '-', 'unreachable', '-', '-', '-', s.error ?? ''])),
  );
}

export function membersTable(leaderId: string | null, members: readonly Member[]): string {
  return table(['ID', 'ROLE', 'RAFT URL', 'KV URL', 'LEADER'], members.map((m) => [m.id, m.role, m.raftUrl, m.kvUrl, m.id === leaderId ? '*' : '']));
}

/** One watch event as a line: `<index>  <op>  <key>  <value>` (a reset prints the state it read, one key per line). */
export function watchLines(event: WatchEvent): string[] {
  if (event.type === 'change') return [[String(event.index), event.op, event.key, event.value ?? ''].join('  ').trimEnd()];
  const head = `${event.index}  reset  (${event.kvs.length} keys${event.more ? ', more not shown' : ''})`;
  return [head, ...event.kvs.map((kv) => `${event.index}  set  ${kv.key}  ${kv.value}`)];
}
