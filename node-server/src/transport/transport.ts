/**
 * Sends the core's requests to peers as POSTs to their `/raft/*` routes and hands each answer back
 * as the core's response message. A failed request is reported, never retried (the core has its
 * own retransmit timers). Reachability changes are logged once per change, not per message. The
 * peers change with the membership (setPeers: the node host calls it when the configuration does).
 * Injected faults (PeerFaults) act here as a lossy network would: a message to a peer in dropTo is
 * never sent, an answer from a peer in dropFrom is discarded; both count as lost.
 */
import type { NodeConfig, PeerConfig } from '../config';
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
  /** The peers to keep connections to, now (membership changed): new ones are added, others closed. */
  setPeers(peers: readonly PeerConfig[]): void;
  /** Whether the last request to `peer` was answered (null: none sent yet, or not a peer). */
  reachable(peer: string): boolean | null;
  /** Puts everything sent since the last flush on the wire (one write per peer). */
  flush(): void;
  close(): void;
}

export class HttpTransport implements MessageSender {
  private readonly connections = new Map<string, { raftUrl: string; connection: PeerConnection }>();
  private readonly reachability = new Map<string, boolean>();

  constructor(
    private readonly config: Pick<NodeConfig, 'peers' | 'rpcTimeoutMs' | 'peerQueueMax' | 'clusterToken' | 'kvUrl'> & { raftTls?: NodeConfig['raftTls'] },
    private readonly handlers: TransportHandlers,
    private readonly logger: Logger,
    private readonly faults: PeerFaults | null = null,
  ) {
    this.setPeers(config.peers);
  }

  setPeers(peers: readonly PeerConfig[]): void {
    const wanted = new Map(peers.map((p) => [p.id, p]));
    for (const [id, held] of this.connections) {
      if (wanted.get(id)?.raftUrl === held.raftUrl) continue;
      held.connection.close();
      this.connections.delete(id);
      this.reachability.delete(id);
      if (!wanted.has(id)) this.logger.info(`[transport] dropped the connection to ${id} (no longer a member)`);
    }
    for (const peer of peers) {
      if (this.connections.has(peer.id)) continue;
      try {
        const connection = new PeerConnection(peer.raftUrl, {
          timeoutMs: this.config.rpcTimeoutMs, queueMax: this.config.peerQueueMax, token: this.config.clusterToken, tls: this.config.raftTls ?? null,
        });
        this.connections.set(peer.id, { raftUrl: peer.raftUrl, connection });
      } catch (err) {
        // A URL this node cannot use (http:// while it speaks TLS, say) came from the log: refuse
        // to reach that peer, loudly, rather than stop the node.
        this.logger.error(`[transport] cannot reach ${peer.id} at ${peer.raftUrl}: ${(err as Error).message}`);
      }
    }
  }

  send(message: RequestMessage): void {
    const connection = this.connections.get(message.to)?.connection;
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
    if (this.reachability.get(peer) === ok) return;
    const first = !this.reachability.has(peer);
    this.reachability.set(peer, ok);
    if (ok && !first) this.logger.info(`[transport] peer ${peer} reachable again`);
    if (!ok) this.logger.warn(`[transport] peer ${peer} unreachable (${reason})`);
  }

  reachable(peer: string): boolean | null {
    return this.reachability.get(peer) ?? null;
  }

  flush(): void {
    for (const held of this.connections.values()) held.connection.flush();
  }

  close(): void {
    for (const held of this.connections.values()) held.connection.close();
  }
}
