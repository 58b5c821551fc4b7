/**
 * A client session as the client keeps it (docs/clients.md): the id the cluster gave it, the
 * next sequence number, and the numbers still outstanding. Client-Ack is the lowest outstanding
 * number, so the cluster forgets exactly the answers no request of this client can still want.
 */
export class ClientSession {
  private lastSeq = 0;
  private readonly outstanding = new Set<number>();

  constructor(readonly clientId: number) {}

  /** Numbers a new write. */
  begin(): number {
    const seq = ++this.lastSeq;
    this.outstanding.add(seq);
    return seq;
  }

  /** The write numbered `seq` is finished: answered, or given up on. */
  end(seq: number): void {
    this.outstanding.delete(seq);
  }

  /** The lowest number still outstanding (at most `seq`, which is outstanding while it is sent). */
  ack(seq: number): number {
    let lowest = seq;
    for (const n of this.outstanding) if (n < lowest) lowest = n;
    return lowest;
  }

  headers(seq: number): Record<string, string> {
    return { 'Client-Id': String(this.clientId), 'Client-Seq': String(seq), 'Client-Ack': String(this.ack(seq)) };
  }
}
