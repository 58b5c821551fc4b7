/** A small HTTP client for the KV API with a hard timeout; a network failure is status 0. */
import http from 'node:http';
import https from 'node:https';
import type { ApiResponse } from '@raft-kv/core';
import type { Agents } from '../src/http/client-request';
import { jsonRequest } from '../src/http/client-request';

const defaultAgents: Agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

/** `agents`: how to reach the node (a namespaced cluster's tunnel, TLS); plain keep-alive by default. */
export async function kvRequest(url: string, method: 'GET' | 'PUT' | 'DELETE', body: unknown, timeoutMs: number, agents: Agents = defaultAgents): Promise<ApiResponse> {
  return jsonRequest(url, method, body, timeoutMs, agents);
}

/** A membership request (docs/membership.md), with the cluster token. */
export async function adminRequest(url: string, method: 'GET' | 'POST' | 'DELETE', body: unknown, token: string, agents: Agents = defaultAgents): Promise<ApiResponse> {
  return jsonRequest(url, method, body, 10_000, agents, { authorization: `Bearer ${token}` });
}

export function closeClients(): void {
  defaultAgents.http.destroy();
  defaultAgents.https.destroy();
}
