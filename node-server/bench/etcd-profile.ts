/**
 * Where an etcd member's CPU goes, from its own CPU profile (pprof, `--enable-pprof`), so the
 * side-by-side table can say how much of etcd's cost per request is the v3 JSON gateway our load
 * generator goes through rather than etcd's own work. The profile is a gzipped protobuf
 * (github.com/google/pprof proto/profile.proto); only the fields needed here are decoded.
 */
import { gunzipSync } from 'node:zlib';
import { httpRequest } from './http-load';

/** Reads protobuf fields: [field number, wire type, value (number or bytes)]. */
function* fields(buf: Buffer): Generator<[number, number, number | Buffer]> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 1;
    for (;;) {
      const byte = buf[pos++]!;
      result += (byte & 0x7f) * shift;
      if (byte < 0x80) return result;
      shift *= 128;
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    const wire = tag & 7;
    const field = Math.floor(tag / 8);
    if (wire === 0) yield [field, wire, varint()];
    else if (wire === 2) {
      const len = varint();
      yield [field, wire, buf.subarray(pos, pos + len)];
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`pprof: unsupported wire type ${wire}`);
  }
}

/** A repeated integer field, packed (bytes) or not (one number). */
function ints(value: number | Buffer): number[] {
  return typeof value === 'number' ? [value] : packed(value);
}

function packed(buf: Buffer): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos < buf.length) {
    let result = 0;
    let shift = 1;
    for (;;) {
      const byte = buf[pos++]!;
      result += (byte & 0x7f) * shift;
      if (byte < 0x80) break;
      shift *= 128;
    }
    out.push(result);
  }
  return out;
}

interface Sample {
  /** Function names, leaf first. */
  stack: string[];
  /** CPU nanoseconds (the profile's last sample value). */
  cpuNs: number;
}

export function decodeCpuProfile(gzipped: Buffer): Sample[] {
  const buf = gunzipSync(gzipped);
  const strings: string[] = [];
  const functionName = new Map<number, number>();
  const locationFunctions = new Map<number, number[]>();
  const rawSamples: { locations: number[]; values: number[] }[] = [];
  for (const [field, , value] of fields(buf)) {
    if (field === 6) strings.push((value as Buffer).toString('utf8'));
    else if (field === 5) {
      let id = 0;
      let name = 0;
      for (const [f, , v] of fields(value as Buffer)) {
        if (f === 1) id = v as number;
        else if (f === 2) name = v as number;
      }
      functionName.set(id, name);
    } else if (field === 4) {
      let id = 0;
      const fns: number[] = [];
      for (const [f, , v] of fields(value as Buffer)) {
        if (f === 1) id = v as number;
        else if (f === 4) for (const [lf, , lv] of fields(v as Buffer)) if (lf === 1) fns.push(lv as number);
      }
      locationFunctions.set(id, fns);
    } else if (field === 2) {
      const locations: number[] = [];
      const values: number[] = [];
      for (const [f, , v] of fields(value as Buffer)) {
        if (f === 1) locations.push(...ints(v));
        else if (f === 2) values.push(...ints(v));
      }
      rawSamples.push({ locations, values });
    }
  }
  return rawSamples.map((s) => ({
    stack: s.locations.flatMap((l) => (locationFunctions.get(l) ?? []).map((fn) => strings[functionName.get(fn) ?? 0] ?? '')),
    cpuNs: s.values[s.values.length - 1] ?? 0,
  }));
}

/**
 * Categories, tried in order on the whole stack. The first two are what the JSON gateway adds:
 * serving HTTP/1.1 and JSON, and the loopback gRPC call it makes (client side); a native gRPC
 * client would not make etcd pay them.
 */
const categories: [string, RegExp][] = [
  ['JSON gateway (HTTP/1.1, JSON, base64)', /grpc-gateway|etcdserverpb\/gw|net\/http\.\(\*conn\)\.serve|encoding\/json|jsonpb/],
  ['gateway\'s loopback gRPC call (client side)', /grpc\.\(\*ClientConn\)|transport\.\(\*http2Client\)|grpc\.invoke|grpc\.\(\*clientStream\)/],
  ['raft and WAL', /etcd\/raft|etcd\/wal|etcdserver\.\(\*raftNode\)|rafthttp/],
  ['storage (bbolt, mvcc)', /bbolt|coreos\/bbolt|mvcc/],
  ['etcd server (requests, apply, other)', /go\.etcd\.io\/etcd/],
  ['gRPC server', /google\.golang\.org\/grpc/],
  ['Go runtime (GC, scheduler, syscalls)', /^runtime\.|^syscall\./],
];

export interface ProfileShares {
  cpuSeconds: number;
  /** Category -> share of the profiled CPU (0..1). */
  shares: Record<string, number>;
}

export function classify(samples: Sample[]): ProfileShares {
  const totals: Record<string, number> = {};
  let all = 0;
  for (const s of samples) {
    const category = categories.find(([, re]) => s.stack.some((fn) => re.test(fn)))?.[0] ?? 'other';
    totals[category] = (totals[category] ?? 0) + s.cpuNs;
    all += s.cpuNs;
  }
  const shares: Record<string, number> = {};
  for (const [name, ns] of Object.entries(totals)) shares[name] = all > 0 ? ns / all : 0;
  return { cpuSeconds: all / 1e9, shares };
}

/** Profiles the member on `port` for `seconds` (it answers when the time is up). */
export async function profileEtcd(port: number, seconds: number): Promise<ProfileShares> {
  const r = await httpRequest(port, 'GET', `/debug/pprof/profile?seconds=${seconds}`, undefined, (seconds + 30) * 1000);
  if (r.status !== 200) throw new Error(`etcd pprof: ${r.status}`);
  return classify(decodeCpuProfile(r.raw));
}
