/**
 * The runner's side of the live specs: it owns their real cluster (owner.ts) but starts it only
 * when a spec asks (POST /start on a small control server on 127.0.0.1, its address in
 * E2E_LIVE_CONTROL), so a run of the simulator's specs alone costs nothing and the cluster does
 * not idle through them. The teardown it returns stops the cluster and fails the run if anything
 * the cluster started is left.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClusterOwner } from './owner';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const owner = new ClusterOwner();
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/start') {
      res.writeHead(404).end();
      return;
    }
    owner.start().then(
      () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
      (error: unknown) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, message: (error as Error).message })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.E2E_LIVE_CONTROL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return async () => {
    server.close();
    await owner.stop();
  };
}
