/**
 * The doc-drift checks: facts taken mechanically from the docs and from the sources, then
 * compared. Each check is a pure function over text (so a test can show it failing on a broken
 * fixture); the readers at the end collect the real files of the repository.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface TextFile {
  /** Path relative to the repository root, with forward slashes. */
  path: string;
  text: string;
}

// ---- markdown -------------------------------------------------------------------------------------

/** The text with fenced code blocks and inline code spans blanked (line numbers kept): links and headings there are not links or headings. */
export function withoutCode(markdown: string): string {
  const lines = markdown.split('\n');
  let fence: string | null = null;
  const out = lines.map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1] ?? null;
    if (fence === null && marker !== null) {
      fence = marker[0]!.repeat(marker.length);
      return '';
    }
    if (fence !== null) {
      if (marker !== null && marker.startsWith(fence)) fence = null;
      return '';
    }
    return line.replace(/(`+)[^`]*?\1/g, (span) => ' '.repeat(span.length));
  });
  return out.join('\n');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links: their text
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/(^|\s)[*_]+|[*_]+(?=\s|$)/g, '$1'); // emphasis markers at word edges
  return text.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Every anchor the headings of a page define (a repeated heading gets -1, -2, ... as on GitHub). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  // Headings keep their inline code (`npm start`): only fenced blocks are left out.
  for (const line of withoutCodeBlocks(markdown).split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = githubSlug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The targets of every link and image in a page: inline, reference definitions and HTML src/href. */
export function linkTargets(markdown: string): string[] {
  const text = withoutCode(markdown);
  const targets: string[] = [];
  for (const m of text.matchAll(/!?\[(?:[^\][]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]!);
  for (const m of text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) targets.push(m[1]!);
  for (const m of text.matchAll(/\b(?:src|href)="([^"]+)"/g)) targets.push(m[1]!);
  return targets;
}

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');

export interface DeadLink {
  file: string;
  target: string;
  reason: string;
}

/**
 * Relative links that do not resolve: the file (or directory) must exist inside the repository,
 * and an #anchor into a Markdown page must be one of its headings.
 * `read` gives a repository file's text, or null when there is no such file or directory.
 */
export function deadLinks(files: readonly TextFile[], read: (repoPath: string) => string | null): DeadLink[] {
  const dead: DeadLink[] = [];
  for (const file of files) {
    for (const target of linkTargets(file.text)) {
      if (isExternal(target)) continue;
      const hash = target.indexOf('#');
      const pathPart = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
      const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
      const resolved = pathPart === '' ? file.path : path.posix.normalize(path.posix.join(path.posix.dirname(file.path), pathPart));
      if (resolved.startsWith('../') || resolved === '..' || path.posix.isAbsolute(pathPart)) {
        dead.push({ file: file.path, target, reason: 'points outside the repository' });
        continue;
      }
      const text = pathPart === '' ? file.text : read(resolved.replace(/\/$/, ''));
      if (text === null) {
        dead.push({ file: file.path, target, reason: `no file ${resolved}` });
        continue;
      }
      if (anchor !== null && anchor !== '' && resolved.endsWith('.md') && !headingAnchors(text).has(anchor)) {
        dead.push({ file: file.path, target, reason: `no heading #${anchor} in ${resolved}` });
      }
    }
  }
  return dead;
}

/** The rows of a page's tables (cells, without the header separator), under headings matching `heading` (or everywhere when null). */
function tableRows(markdown: string, heading: RegExp | null): string[][] {
  const rows: string[][] = [];
  let inSection = heading === null;
  let sectionLevel = 0;
  for (const line of withoutCodeBlocks(markdown).split('\n')) {
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h && heading !== null) {
      const level = h[1]!.length;
      if (heading.test(h[2]!)) {
        inSection = true;
        sectionLevel = level;
      } else if (inSection && level <= sectionLevel) {
        inSection = false;
      }
      continue;
    }
    if (!inSection || !/^\s*\|/.test(line) || /^\s*\|[\s:|-]+\|\s*$/.test(line)) continue;
    rows.push(line.trim().replace(/^\||\|$/g, '').split('|'));
  }
  return rows;
}

/** The text with fenced code blocks blanked (inline code kept: table cells name things in it). */
function withoutCodeBlocks(markdown: string): string {
  let inFence = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*(`{3,}|~{3,})/.test(line)) {
      inFence = !inFence;
      return '';
    }
    return inFence ? '' : line;
  }).join('\n');
}

const codeSpans = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.trim());

// ---- environment variables ------------------------------------------------------------------------

const variableName = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

/**
 * The environment variables a source file reads: `process.env.NAME`, `process.env['NAME']`,
 * `env.NAME` (assignments are not reads), `${NAME}` / `$NAME` in shell scripts, and in a
 * configuration parser (a file with a function over `env: Env`) every string literal that is a
 * variable name, since the parser passes names to its readers as strings (read(env, 'NAME', ...)).
 */
export function variablesRead(file: TextFile): string[] {
  const names = new Set<string>();
  const text = file.text;
  if (/\.(?:[cm]?[jt]sx?)$/.test(file.path)) {
    for (const m of text.matchAll(/\b(?:process\.)?env(?:\.([A-Z][A-Z0-9_]*)\b|\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\])(?!\s*=[^=])/g)) names.add((m[1] ?? m[2])!);
    if (/\benv: Env\b/.test(text)) {
      for (const m of text.matchAll(/'([A-Z][A-Z0-9_]*)'/g)) if (variableName.test(m[1]!)) names.add(m[1]!);
    }
  } else {
    for (const m of text.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)) names.add(m[1]!);
  }
  return [...names].filter((n) => variableName.test(n)).sort();
}

/** The variables a configuration page documents: the names in code spans in the first column of its tables. */
export function documentedVariables(markdown: string): string[] {
  const names = tableRows(markdown, null).flatMap((row) => codeSpans(row[0] ?? '')).filter((name) => variableName.test(name));
  return [...new Set(names)].sort();
}

export interface VariableDrift {
  /** Read by a source file but not in the page: name -> files. */
  undocumented: Record<string, string[]>;
  /** In the page but read nowhere. */
  notRead: string[];
}

export function variableDrift(sources: readonly TextFile[], configurationPage: string): VariableDrift {
  const readBy = new Map<string, string[]>();
  for (const file of sources) for (const name of variablesRead(file)) readBy.set(name, [...(readBy.get(name) ?? []), file.path]);
  const documented = new Set(documentedVariables(configurationPage));
  const undocumented: Record<string, string[]> = {};
  for (const [name, files] of [...readBy].sort()) if (!documented.has(name)) undocumented[name] = files;
  return { undocumented, notRead: [...documented].filter((name) => !readBy.has(name)) };
}

// ---- test ids -------------------------------------------------------------------------------------

/** A test id with its variable parts (`${id}` in source, `<id>` in the docs) as `*`. */
const idPattern = (id: string): string => id.replace(/\$\{[^}]*\}|<[^>]+>/g, '*');

/** The test ids a source file renders: `data-testid` (or a `testId` prop) given a string or a template literal. */
export function renderedTestIds(source: string): string[] {
  const ids = new Set<string>();
  for (const m of source.matchAll(/\b(?:data-testid|testId)=(?:"([^"]+)"|\{\s*(?:'([^']+)'|"([^"]+)"|`([^`]+)`)\s*\})/g)) {
    ids.add(idPattern((m[1] ?? m[2] ?? m[3] ?? m[4])!));
  }
  return [...ids].sort();
}

/** The `data-*` attributes a source file renders. */
export function renderedDataAttributes(source: string): string[] {
  return [...new Set([...source.matchAll(/\b(data-[a-z][a-z0-9-]*)=/g)].map((m) => m[1]!))].sort();
}

export interface DocumentedHooks {
  ids: string[];
  attributes: string[];
}

/** The test hooks a playground page lists: ids in the first column of the tables under "Test hooks", attributes anywhere in those rows. */
export function documentedHooks(markdown: string): DocumentedHooks {
  const rows = tableRows(markdown, /^Test hooks\b/i);
  const ids = [...new Set(rows.flatMap((row) => codeSpans(row[0] ?? '')).map(idPattern))].sort();
  const attributes = [...new Set(rows.flatMap((row) => row.flatMap(codeSpans)).filter((s) => /^data-[a-z][a-z0-9-]*$/.test(s)))].sort();
  return { ids, attributes };
}

export interface HookDrift {
  unknownIds: string[];
  unknownAttributes: string[];
}

export function hookDrift(sources: readonly TextFile[], playgroundPage: string): HookDrift {
  const ids = new Set(sources.flatMap((f) => renderedTestIds(f.text)));
  const attributes = new Set(sources.flatMap((f) => renderedDataAttributes(f.text)));
  const documented = documentedHooks(playgroundPage);
  return {
    unknownIds: documented.ids.filter((id) => !ids.has(id)),
    unknownAttributes: documented.attributes.filter((a) => !attributes.has(a)),
  };
}

// ---- the repository's files -----------------------------------------------------------------------

const skippedDirs = new Set(['node_modules', 'dist', 'data', 'test-results', 'playwright-report', 'nemesis-results', 'tmp', '.git', '.vite']);

function walk(dir: string, keep: (repoPath: string) => boolean, out: TextFile[] = []): TextFile[] {
  for (const entry of fs.readdirSync(path.join(repoRoot, dir), { withFileTypes: true })) {
    const repoPath = dir === '.' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!skippedDirs.has(entry.name)) walk(repoPath, keep, out);
    } else if (entry.isFile() && keep(repoPath)) {
      out.push({ path: repoPath, text: fs.readFileSync(path.join(repoRoot, repoPath), 'utf8') });
    }
  }
  return out;
}

/** README.md and the pages of docs/. */
export function docPages(): TextFile[] {
  const pages = fs.readdirSync(path.join(repoRoot, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`);
  return ['README.md', ...pages].map((p) => ({ path: p, text: fs.readFileSync(path.join(repoRoot, p), 'utf8') }));
}

/** Every source and script of the packages, the CI script and the root config files (not docs/, whose tests hold broken fixtures on purpose). */
export function sourceFiles(): TextFile[] {
  const code = (p: string) => /\.(?:[cm]?[jt]sx?)$/.test(p);
  const rootFiles = fs.readdirSync(repoRoot, { withFileTypes: true }).filter((e) => e.isFile() && code(e.name))
    .map((e) => ({ path: e.name, text: fs.readFileSync(path.join(repoRoot, e.name), 'utf8') }));
  return [
    ...rootFiles,
    ...['core', 'node-server', 'playground', 'e2e'].flatMap((dir) => walk(dir, code)),
    ...walk('.ci', () => true),
  ];
}

export function playgroundSources(): TextFile[] {
  return walk('playground/src', (p) => /\.tsx?$/.test(p));
}

/** A repository file's text; '' for a directory; null when neither exists. */
export function readRepoFile(repoPath: string): string | null {
  const full = path.join(repoRoot, repoPath);
  if (!fs.existsSync(full)) return null;
  return fs.statSync(full).isDirectory() ? '' : fs.readFileSync(full, 'utf8');
}
