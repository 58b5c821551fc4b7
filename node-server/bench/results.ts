/**
 * node-server/bench/results.json and results.md: one section per benchmark (side by side, scale),
 * each replaced by its own script, so `npm run bench:cluster` does not erase the scale table.
 * A section keeps its data and the markdown it was printed as.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAverage, machineLine } from './proc';

const here = path.dirname(fileURLToPath(import.meta.url));
const jsonFile = path.join(here, 'results.json');
const mdFile = path.join(here, 'results.md');
/** `compare`, `scale`, or another name for an extra scale run (`--section`). */
export type Section = string;

export interface SectionRecord {
  at: string;
  machine: string;
  commit: string;
  loadAtStart: string;
  markdown: string;
  data: unknown;
}

export function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).trim();
    // Uncommitted code (not the results files themselves) makes the commit an approximation.
    const changed = execFileSync('git', ['status', '--porcelain', '--', '.', '../src', '../../core/src'], { cwd: here, encoding: 'utf8' })
      .split('\n').filter((line) => /\.tsx?$/.test(line.trim()));
    return changed.length > 0 ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}

/** The machine, commit and load, taken when a benchmark starts. */
export function runHeader(): Omit<SectionRecord, 'markdown' | 'data'> {
  return { at: new Date().toISOString(), machine: machineLine(), commit: gitCommit(), loadAtStart: loadAverage() };
}

export function saveSection(section: Section, record: SectionRecord): void {
  let all: Record<Section, SectionRecord> = {};
  try {
    all = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as typeof all;
    // A file in an older layout (one run's rows) is replaced.
    if (typeof all !== 'object' || all === null || Object.values(all).some((r) => typeof (r as Partial<SectionRecord>)?.markdown !== 'string')) all = {};
  } catch {
    all = {};
  }
  all[section] = record;
  fs.writeFileSync(jsonFile, JSON.stringify(all, null, 2) + '\n');
  const parts = ['# Benchmark results', '', 'Written by `npm run bench` (see docs/benchmarks.md for how to run and read them). Each section is replaced by its own script.', ''];
  const names = Object.keys(all).sort((a, b) => (a === 'compare' ? -1 : b === 'compare' ? 1 : a.localeCompare(b)));
  for (const name of names) parts.push(all[name]!.markdown.trimEnd(), '');
  fs.writeFileSync(mdFile, parts.join('\n'));
}

/** The markdown lines that say when, where and on what a section was measured. */
export function provenance(h: Omit<SectionRecord, 'markdown' | 'data'>, compared = 'both systems measured back to back'): string[] {
  return [
    `Run ${h.at} on ${h.machine}; commit ${h.commit}.`,
    `Load average at the start: ${h.loadAtStart}. The machine is shared: other work slows every number here, so read the ratios of one run (${compared}) before the absolute figures.`,
  ];
}

export function markdownTable(header: string[], align: ('l' | 'r')[], rows: string[][]): string {
  // A delimiter row or a row of another width than the header does not render as a table.
  const widths = new Set([header.length, align.length, ...rows.map((r) => r.length)]);
  if (widths.size !== 1) throw new Error(`markdownTable: ${header.length} columns, ${align.length} alignments, rows of ${[...new Set(rows.map((r) => r.length))].join('/')} cells`);
  return [
    `| ${header.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}
