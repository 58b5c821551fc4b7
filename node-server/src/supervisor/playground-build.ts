/**
 * `npm start` serves the built playground: it runs `npm run build` (Vite) first when
 * playground/dist/index.html is missing or older than any of its sources (the playground's own and
 * core's, which it bundles).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The walk stops after this many files (a safety bound; the sources are a few hundred). */
const filesMax = 50_000;

/** The newest modification time (ms) of the files under `paths` (files or directories). */
export function newestMtimeMs(paths: readonly string[]): number {
  let newest = 0;
  let seen = 0;
  const stack = [...paths];
  while (stack.length > 0 && seen < filesMax) {
    const p = stack.pop()!;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      continue;
    }
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(p)) if (name !== 'node_modules' && !name.startsWith('.')) stack.push(path.join(p, name));
    } else {
      seen++;
      newest = Math.max(newest, stat.mtimeMs);
    }
  }
  return newest;
}

export function playgroundSources(root: string): string[] {
  return ['playground/src', 'playground/index.html', 'playground/vite.config.ts', 'playground/package.json', 'playground/public', 'core/src']
    .map((p) => path.join(root, p));
}

/** Why the page must be built, or null when dist is up to date. */
export function playgroundStaleReason(distDir: string, sources: readonly string[]): string | null {
  let built: number;
  try {
    built = fs.statSync(path.join(distDir, 'index.html')).mtimeMs;
  } catch {
    return `${path.join(distDir, 'index.html')} is missing`;
  }
  return newestMtimeMs(sources) > built ? 'the playground sources changed since the last build' : null;
}

/** Runs `npm run build` in `root`, its output on ours; rejects when it fails. */
export function buildPlayground(root: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`npm run build failed (${signal ?? `exit code ${code}`})`))));
  });
}
