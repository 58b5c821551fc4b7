/**
 * Which node to ask next: the leader when one is known (from a 409 hint or a write it answered),
 * otherwise the configured endpoints in turn. A node that failed is skipped until the others
 * were tried.
 */
export class Endpoints {
  private cursor = 0;
  private leaderUrl: string | null = null;
  private urls: readonly string[] = [];

  constructor(urls: readonly string[]) {
    this.replace(urls);
  }

  get list(): readonly string[] {
    return this.urls;
  }

  /**
   * The cluster's members changed (a node added or removed): ask these from now on. A known
   * leader stays known (a removed leader stops answering as one and is forgotten then).
   */
  replace(urls: readonly string[]): void {
    if (urls.length === 0) throw new RangeError('no endpoints: give at least one node KV URL');
    this.urls = urls.map(normalize);
  }

  get leader(): string | null {
    return this.leaderUrl;
  }

  /** Where to send a write (or any request that wants the leader). */
  forWrite(): string {
    return this.leaderUrl ?? this.list[this.cursor % this.list.length]!;
  }

  /** Where to send a read: a chosen endpoint, the leader, or the next endpoint. */
  forRead(preferred?: string): string {
    return preferred !== undefined ? normalize(preferred) : this.forWrite();
  }

  /** `url` answered as the leader. */
  isLeader(url: string): void {
    this.leaderUrl = url;
  }

  /** A node said it does not lead, naming the leader's KV URL (or nobody). */
  notLeader(url: string, hint: unknown): void {
    if (typeof hint === 'string' && /^https?:\/\//.test(hint) && normalize(hint) !== url) this.leaderUrl = normalize(hint);
    else this.failed(url);
  }

  /** `url` could not serve: forget it as the leader and move on to the next endpoint. */
  failed(url: string): void {
    if (this.leaderUrl === url) this.leaderUrl = null;
    this.cursor++;
  }
}

/** A KV URL without a trailing slash (paths are appended to it). */
export function normalize(url: string): string {
  return url.replace(/\/+$/, '');
}
