/**
 * Sends the core's requests to peers as POSTs to their `/raft/*` routes and hands each answer back
 * as the core's response message. A failed request is reported, never retried (the core has its
 * own retransmit timers). Reachability changes are logged once per change, not per message.
 * Injected faults (PeerFaults) act here as a lossy network would: a message to a peer in dropTo is
 * never sent, an answer from a peer in dropFrom is discarded; both count as lost.
 */
import type { NodeConfig } from '../config';
import type { Logger } from '../logger';
import type { RequestMessage, ResponseMessage } from '../wire';
import { parseResponse, requestBody, routeOf } from '../wire';
import type { PeerFaults } from './faults';
import { PeerConnection, PeerError } from './peer-connection';

export interface TransportHandlers {
  onResponse(message: ResponseMessage): void;
  onFailure(message: RequestMessage, reason: string): void;
}

export interface MessageSender {
  send(message: RequestMessage): void;
  /** Puts everything sent since the last flush on the wire (one write per peer). */
  flush(): void;
  close(): void;
}

export class HttpTransport implements MessageSender {
  private readonly connections = new Map<string, PeerConnection>();
  private readonly reachable = new Map<string, boolean>();

  constructor(
    private readonly config: Pick<NodeConfig, 'peers' | 'rpcTimeoutMs' | 'peerQueueMax' | 'clusterToken' | 'kvUrl'> & { raftTls?: NodeConfig['raftTls'] },
    private readonly handlers: TransportHandlers,
    private readonly logger: Logger,
    private readonly faults: PeerFaults | null = null,
  ) {
    for (const peer of config.peers) {
      this.connections.set(peer.id, new PeerConnection(peer.raftUrl, {
        timeoutMs: config.rpcTimeoutMs, queueMax: config.peerQueueMax, token: config.clusterToken, tls: config.raftTls ?? null,
      }));
    }
  }

  send(message: RequestMessage): void {
    const connection = this.connections.get(message.to);
    if (!connection) return this.handlers.onFailure(message, `no peer ${message.to}`);
    if (this.faults?.dropsTo(message.to)) return this.handlers.onFailure(message, 'dropped (fault injection)');
    const json = JSON.stringify(requestBody(message, this.config.kvUrl));
    connection.post(`/raft/${routeOf[message.type]}`, json).then(
      (answer) => {
        if (this.faults?.dropsFrom(message.to)) return this.handlers.onFailure(message, 'answer dropped (fault injection)');
        if (answer.status !== 200) return this.failed(message, `HTTP ${answer.status} ${JSON.stringify(answer.body)}`, answer.status === 401);
        const response = parseResponse(message, answer.body);
        if (!response) return this.failed(message, `malformed answer ${JSON.stringify(answer.body)}`, true);
        this.markReachable(message.to, true, '');
        this.handlers.onResponse(response);
      },
      (err: unknown) => {
        const reason = err instanceof PeerError ? `${err.code}: ${err.message}` : String(err);
        // A full queue means the peer is slow, not gone: drop this message quietly.
        this.failed(message, reason, !(err instanceof PeerError && (err.code === 'queue_full' || err.code === 'backoff')));
      },
    );
  }

  private failed(message: RequestMessage, reason: string, noteable: boolean): void {
    if (noteable) this.markReachable(message.to, false, reason);
    this.handlers.onFailure(message, reason);
  }

  private markReachable(peer: string, ok: boolean, reason: string): void {
    if (this.reachable.get(peer) === ok) return;
    const first = !this.reachable.has(peer);
    this.reachable.set(peer, ok);
    if (ok && !first) this.logger.info(`[transport] peer ${peer} reachable again`);
    if (!ok) this.logger.warn(`[transport] peer ${peer} unreachable (${reason})`);
  }

  flush(): void {
    for (const connection of this.connections.values()) connection.flush();
  }

  close(): void {
    for (const connection of this.connections.values()) connection.close();
  }
}
