/**
 * The nemesis's exactly-once check. Every value the clients write is unique, so a value that the
 * nodes' `[apply]` lines show written into the map at two different indexes is a write applied
 * twice: a resend the cluster did not recognize. Lines a node printed again after a restart (the
 * same index) are the same application. A resend the session table recognized prints
 * `duplicate` and counts as recognized, not applied.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ExactlyOnceReport {
  /** Entries that wrote a value into the map (distinct indexes, over all nodes). */
  applied: number;
  /** Resends answered from the session table instead of being applied again. */
  resendsRecognized: number;
  /** Values written at more than one index: each is a failure. */
  appliedTwice: string[];
}

/** Reads the `[apply]` messages of every log in `logDir` (JSON lines, as the nemesis runs nodes). */
export function checkExactlyOnce(logDir: string): ExactlyOnceReport {
  const messages: string[] = [];
  for (const name of fs.existsSync(logDir) ? fs.readdirSync(logDir).sort() : []) {
    for (const line of fs.readFileSync(path.join(logDir, name), 'utf8').split('\n')) {
      const msg = messageOf(line);
      if (msg?.startsWith('[apply] ')) messages.push(msg);
    }
  }
  return exactlyOnceOf(messages);
}

function messageOf(line: string): string | null {
  if (!line.startsWith('{')) return line.startsWith('[apply] ') ? line : null;
  try {
    return (JSON.parse(line) as { msg?: string }).msg ?? null;
  } catch {
    return null; // a line cut short when the node was killed
  }
}

const writeLine = /^\[apply\] index=(\d+) op=(set|cas) key=\S+(?: expected=\S+)? value=(\S+)(.*)$/;

export function exactlyOnceOf(applyMessages: readonly string[]): ExactlyOnceReport {
  const indexesOf = new Map<string, Set<number>>();
  const recognized = new Set<number>();
  const applied = new Set<number>();
  for (const msg of applyMessages) {
    const m = writeLine.exec(msg);
    if (!m) continue;
    const [, indexText, op, value, rest] = m as unknown as [string, string, string, string, string];
    const index = Number(indexText);
    if (/ duplicate$/.test(rest)) {
      recognized.add(index);
      continue;
    }
    if (/ rejected=/.test(rest) || (op === 'cas' && !/ swapped=true/.test(rest))) continue;
    applied.add(index);
    const indexes = indexesOf.get(value) ?? new Set<number>();
    indexesOf.set(value, indexes.add(index));
  }
  const appliedTwice = [...indexesOf].filter(([, indexes]) => indexes.size > 1).map(([value, indexes]) => `${value} at ${[...indexes].sort((a, b) => a - b).join(', ')}`);
  return { applied: applied.size, resendsRecognized: recognized.size, appliedTwice };
}
