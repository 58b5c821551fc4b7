/**
 * The docs stay honest: links resolve, the configuration page lists exactly the environment
 * variables the code reads, and the playground page lists only test hooks the page renders.
 * Each check first fails on a broken fixture (so it can fail), then passes on the real files.
 */
import { describe, expect, it } from 'vitest';
import type { TextFile } from './drift';
import {
  deadLinks, docPages, documentedHooks, documentedVariables, githubSlug, headingAnchors, hookDrift, linkTargets, playgroundSources,
  readRepoFile, renderedTestIds, sourceFiles, variableDrift, variablesRead,
} from './drift';

const page = (path: string, text: string): TextFile => ({ path, text });

describe('links in README.md and docs/*.md', () => {
  const fixtureRepo: Record<string, string> = {
    'README.md': '# Title\n\n## A five-minute tour\n',
    'docs/api.md': '# The HTTP API\n\n## `PUT /set`\n\n## Errors\n\n## Errors\n',
    'core/src': '',
  };
  const read = (p: string) => fixtureRepo[p] ?? null;

  it('GitHub anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered', () => {
    expect(githubSlug('A five-minute tour')).toBe('a-five-minute-tour');
    expect(githubSlug('`PUT /set`')).toBe('put-set');
    expect(githubSlug('Live mode: `npm start`')).toBe('live-mode-npm-start');
    expect([...headingAnchors(fixtureRepo['docs/api.md']!)]).toEqual(['the-http-api', 'put-set', 'errors', 'errors-1']);
  });

  it('finds inline links, images and reference definitions, but not links inside code', () => {
    const text = '[a](docs/a.md) ![b](docs/b.png)\n[c]: docs/c.md\n`[d](docs/d.md)`\n```\n[e](docs/e.md)\n```\n';
    expect(linkTargets(text)).toEqual(['docs/a.md', 'docs/b.png', 'docs/c.md']);
  });

  it('FAILS on a dead file, a dead anchor and a path out of the repository; passes on good ones', () => {
    const good = page('docs/guide.md', '[api](api.md) [put](api.md#put-set) [dup](api.md#errors-1) [tour](../README.md#a-five-minute-tour) [src](../core/src) [self](#guide) [web](https://raft.github.io)\n\n# Guide\n');
    expect(deadLinks([good], read)).toEqual([]);
    const broken = page('docs/guide.md', '[gone](missing.md) [anchor](api.md#no-such-heading) [out](../../elsewhere/API.md)\n');
    expect(deadLinks([broken], read).map((d) => d.reason)).toEqual([
      'no file docs/missing.md', 'no heading #no-such-heading in docs/api.md', 'points outside the repository',
    ]);
  });

  it('every relative link in the real README.md and docs/*.md resolves', () => {
    const pages = docPages();
    expect(pages.map((p) => p.path)).toContain('README.md');
    expect(pages.length).toBeGreaterThan(5);
    expect(deadLinks(pages, readRepoFile)).toEqual([]);
  });

  it('every page in docs/ has content and is linked from the README', () => {
    const pages = docPages();
    const readmeTargets = new Set(linkTargets(pages[0]!.text).map((t) => t.replace(/#.*$/, '')));
    for (const p of pages.slice(1)) {
      expect(p.text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#')).length, `${p.path} is empty`).toBeGreaterThan(5);
      expect(readmeTargets.has(p.path), `README.md does not link ${p.path}`).toBe(true);
    }
  });
});

describe('environment variables: docs/configuration.md against the code that reads them', () => {
  const parser = page('node-server/src/config.ts', [
    "export function loadConfig(env: Env = process.env) {",
    "  const port = read(env, 'KVSTORE_PORT', port, read(env, 'PORT', port, 8080));",
    "  const list = env.PEERS ? 'PEERS' : 'RAFT_NODES';",
    "  const ms = ticks('RAFT_HEARTBEAT_MS', 100);",
    "  log('not a name: Hello', 'x');",
    '}',
  ].join('\n'));
  const script = page('node-server/bench/bench.ts', "const s = Number(process.env.BENCH_SECONDS ?? 10);\nconst t = process.env['BENCH_CLIENTS'];\nenv.SET_HERE = '1';\n");
  const shell = page('.ci/run', 'if [ -x "${CHROMIUM_PATH:-}" ]; then echo; fi\nexport DEBIAN_FRONTEND=noninteractive\n');
  const configPage = [
    '| variable | default |', '|---|---|',
    '| `KVSTORE_PORT`, else `PORT` | 8080 |', '| `PEERS` (alias `RAFT_NODES`) | none |', '| `RAFT_HEARTBEAT_MS` | 100 |',
    '| `BENCH_SECONDS` | 10 |', '| `BENCH_CLIENTS` | 1,16,64 |', '| `CHROMIUM_PATH` | none |',
    '', 'Prose that mentions `NOT_A_ROW` is not a listing.',
  ].join('\n');

  it('reads names from a parser, a script and a shell script (assignments are not reads)', () => {
    expect(variablesRead(parser)).toEqual(['KVSTORE_PORT', 'PEERS', 'PORT', 'RAFT_HEARTBEAT_MS', 'RAFT_NODES']);
    expect(variablesRead(script)).toEqual(['BENCH_CLIENTS', 'BENCH_SECONDS']);
    expect(variablesRead(shell)).toEqual(['CHROMIUM_PATH']);
    expect(documentedVariables(configPage)).toEqual(['BENCH_CLIENTS', 'BENCH_SECONDS', 'CHROMIUM_PATH', 'KVSTORE_PORT', 'PEERS', 'PORT', 'RAFT_HEARTBEAT_MS', 'RAFT_NODES']);
    expect(variableDrift([parser, script, shell], configPage)).toEqual({ undocumented: {}, notRead: [] });
  });

  it('FAILS when the code reads a variable the page does not list', () => {
    const added = page('node-server/src/tls.ts', 'const cert = process.env.RAFT_TLS_CERT;\n');
    expect(variableDrift([parser, script, shell, added], configPage).undocumented).toEqual({ RAFT_TLS_CERT: ['node-server/src/tls.ts'] });
  });

  it('FAILS when the page lists a variable nothing reads', () => {
    const stale = `${configPage}\n| \`RAFT_GONE_MS\` | 5 |\n`;
    expect(variableDrift([parser, script, shell], stale).notRead).toEqual(['RAFT_GONE_MS']);
  });

  it('the real docs/configuration.md lists exactly the variables the code reads', () => {
    const sources = sourceFiles();
    const paths = sources.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['node-server/src/config.ts', 'node-server/src/supervisor/config.ts', '.ci/run']));
    const configuration = readRepoFile('docs/configuration.md');
    expect(configuration).not.toBeNull();
    const drift = variableDrift(sources, configuration!);
    // The parsers' own variables are found (a guard against an extractor that finds nothing).
    expect(documentedVariables(configuration!)).toEqual(expect.arrayContaining(['KVSTORE_PORT', 'RAFT_NODES', 'START_PORT', 'RAFT_HEARTBEAT_MS']));
    expect(drift).toEqual({ undocumented: {}, notRead: [] });
  });
});

describe('test hooks: docs/playground.md against what the playground renders', () => {
  const source = page('playground/src/ui/Panel.tsx', [
    '<button data-testid="heal-all" />',
    '<button data-testid={`kill-${id}`} data-role={role} />',
    '<g data-testid={`link-${a}-${b}`} data-state={state} />',
  ].join('\n'));
  const doc = [
    '# Playground', '', '## Test hooks', '',
    '| test id | attributes |', '|---|---|',
    '| `heal-all` | |', '| `kill-<id>` | `data-role` |', '| `link-<a>-<b>` | `data-state` |',
    '', '## Elsewhere', '', '| `not-a-hook` | |',
  ].join('\n');

  it('reads ids from string and template literals, and the listing from the "Test hooks" tables', () => {
    expect(renderedTestIds(source.text)).toEqual(['heal-all', 'kill-*', 'link-*-*']);
    expect(documentedHooks(doc)).toEqual({ ids: ['heal-all', 'kill-*', 'link-*-*'], attributes: ['data-role', 'data-state'] });
    expect(hookDrift([source], doc)).toEqual({ unknownIds: [], unknownAttributes: [] });
  });

  it('FAILS on a listed test id or attribute the page does not render', () => {
    const wrong = doc.replace('`kill-<id>` | `data-role`', '`crash-<id>` | `data-rolle`');
    expect(hookDrift([source], wrong)).toEqual({ unknownIds: ['crash-*'], unknownAttributes: ['data-rolle'] });
  });

  it('every test id and attribute the real docs/playground.md lists is rendered by playground/src', () => {
    const sources = playgroundSources();
    const playground = readRepoFile('docs/playground.md');
    expect(playground).not.toBeNull();
    const listed = documentedHooks(playground!);
    expect(listed.ids).toEqual(expect.arrayContaining(['node-*', 'kill-*', 'client-result', 'scenario-result-*']));
    expect(hookDrift(sources, playground!)).toEqual({ unknownIds: [], unknownAttributes: [] });
  });
});
