/** One node started in this process (createApp + real storage in a temp dir), for HTTP tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import type { RunningNode } from '../../src/node';
import { startNode } from '../../src/node';
import { captureLogger } from './capture-logger';

export interface TestNode {
  node: RunningNode;
  kv: string;
  raft: string;
  lines: string[];
  fatal: unknown[];
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestNode(env: Record<string, string> = {}): Promise<TestNode> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-app-'));
  const config = {
    ...loadConfig({
      NODE_ID: 'n1', RAFT_DATA_DIR: dataDir, RAFT_HEARTBEAT_MS: '20', RAFT_ELECTION_TIMEOUT_MIN_MS: '100',
      RAFT_ELECTION_TIMEOUT_MAX_MS: '200', LOG_FORMAT: 'json', ...env,
    }),
    kvPort: 0,
    raftPort: 0,
  };
  const { logger, lines } = captureLogger();
  const fatal: unknown[] = [];
  const node = await startNode(config, logger, (err) => fatal.push(err));
  return {
    node, lines, fatal, dataDir,
    kv: `http://127.0.0.1:${node.kvPort}`,
    raft: `http://127.0.0.1:${node.raftPort}`,
    async stop() {
      await node.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function call(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, headers: res.headers };
}
