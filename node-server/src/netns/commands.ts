/**
 * The outside programs a namespaced cluster needs (iproute2's `ip` and `tc`, `nft`), run without a
 * shell, and the one check that says in one line why this machine cannot run it.
 */
import { execFile } from 'node:child_process';

/** One command; longer is a hung kernel call or a wedged tool, not a slow machine. */
const commandTimeoutMs = 20_000;

export class CommandError extends Error {
  override name = 'CommandError';
}

/** Runs `file args...` (stdin from `input`), resolves with stdout; rejects naming the command and its stderr. */
export function run(file: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: commandTimeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const detail = (stderr || err.message).trim().split('\n').slice(0, 3).join(' | ');
      reject(new CommandError(`${file} ${args.join(' ')}: ${detail}`));
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Runs a command inside the named network namespace. */
export function runIn(namespace: string, file: string, args: readonly string[], input?: string): Promise<string> {
  return run('ip', ['netns', 'exec', namespace, file, ...args], input);
}

const requiredTools = [
  { file: 'ip', args: ['-V'], debian: 'iproute2' },
  { file: 'tc', args: ['-V'], debian: 'iproute2' },
  { file: 'nft', args: ['--version'], debian: 'nftables' },
] as const;

/**
 * Null when this process can create network namespaces, veth pairs, bridges, nftables rules and
 * tc qdiscs; otherwise the reason, in one line.
 */
export async function netnsUnsupportedReason(): Promise<string | null> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (run as root, e.g. in CI, or with sudo)';
  const missing: string[] = [];
  for (const tool of requiredTools) {
    try {
      await run(tool.file, tool.args);
    } catch {
      missing.push(`${tool.file} (Debian package ${tool.debian})`);
    }
  }
  if (missing.length > 0) return `missing ${missing.join(', ')}: apt-get install -y iproute2 nftables`;
  return null;
}
