/** The typed client of a raft-kv cluster (docs/clients.md). */
export { KvClient } from './client';
export type { CasResult, EndpointStatus, KvClientOptions, Member, RangeResult, ReadOptions } from './client';
export { KvError } from './errors';
export type { KvErrorCode } from './errors';
export { curlOf } from './http';
export type { HttpRequest } from './http';
export type { WatchEvent, WatchOptions } from './watch';
