/**
 * The node's bundle: node-server/dist/raft-node.mjs, built from node-server/src/main.ts and the core
 * by esbuild, rebuilt when any source is newer. Several processes may find it stale at once: each
 * writes its own temporary file and renames it into place, so a reader never sees half a bundle.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const bundlePath = path.join(root, 'node-server/dist/raft-node.mjs');
const sources = ['core/src', 'node-server/src', 'core/package.json', 'node-server/package.json', 'package-lock.json'].map((p) => path.join(root, p));

/** The newest modification time under `paths` (files or directories). */
function newestMtimeMs(paths) {
  let newest = 0;
  const stack = [...paths];
  while (stack.length > 0) {
    const p = stack.pop();
    let stat;
    try {
      stat = fs.statSync(p);
    } catch {
      continue;
    }
    if (stat.isDirectory()) for (const name of fs.readdirSync(p)) stack.push(path.join(p, name));
    else newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}

function isFresh() {
  try {
    return fs.statSync(bundlePath).mtimeMs >= newestMtimeMs(sources);
  } catch {
    return false;
  }
}

/** Builds the bundle unless it is up to date; resolves to its path. */
export async function ensureNodeBundle() {
  if (isFresh()) return bundlePath;
  const { build } = await import('esbuild');
  const tmp = `${bundlePath}.${process.pid}.tmp`;
  fs.mkdirSync(path.dirname(bundlePath), { recursive: true });
  await build({
    entryPoints: [path.join(root, 'node-server/src/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: tmp,
    logLevel: 'warning',
    // The CommonJS packages in the bundle (express, pino...) require Node's built-in modules.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  fs.renameSync(tmp, bundlePath);
  return bundlePath;
}
