/**
 * The benchmarks' own instruments (node-server/bench): the numbers in the results files are only
 * as good as the percentile code, the key and value sizes, and the pprof decoder that says where
 * etcd's CPU goes. Each is checked against a naive definition or a hand-built input.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { classify, decodeCpuProfile } from '../bench/etcd-profile';
import { Latencies, key8, value256 } from '../bench/http-load';
import { markdownTable } from '../bench/results';
import type { WindowRow } from '../bench/scale-report';
import { windowTable } from '../bench/scale-report';

describe('Latencies', () => {
  it('gives the same percentiles as sorting a plain array, past its first growth', () => {
    const samples = Array.from({ length: 100_000 }, (_, i) => ((i * 7919) % 100_003) / 7);
    const latencies = new Latencies();
    for (const s of samples) latencies.add(s);
    const sorted = [...samples].sort((a, b) => a - b);
    const naive = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
    expect(latencies.percentiles(0.5, 0.99, 1)).toEqual([naive(0.5), naive(0.99), naive(1)]);
  });

  it('says NaN when there is nothing to summarize', () => {
    expect(new Latencies().percentiles(0.5)).toEqual([NaN]);
  });
});

describe('keys and values', () => {
  it('are 8 and 256 bytes, distinct per key, and keys sort as their numbers', () => {
    const keys = [0, 1, 35, 36, 1_000_000, 36 ** 8 - 1].map(key8);
    expect(keys.every((k) => Buffer.byteLength(k) === 8)).toBe(true);
    expect([...keys].sort()).toEqual(keys);
    expect(Buffer.byteLength(value256(key8(5)))).toBe(256);
    expect(value256(key8(5))).not.toBe(value256(key8(6)));
  });
});

/** A minimal protobuf writer, enough to build a pprof profile by hand. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const field = (num: number, value: number): number[] => [...varint(num * 8), ...varint(value)];
const bytes = (num: number, content: number[] | Buffer): number[] => [...varint(num * 8 + 2), ...varint(content.length), ...content];
const packed = (num: number, values: number[]): number[] => bytes(num, values.flatMap(varint));

function profile(stacks: { functions: string[]; cpuNs: number }[]): Buffer {
  const names = [...new Set(stacks.flatMap((s) => s.functions))];
  const strings = ['', ...names];
  const out: number[] = [];
  for (const s of strings) out.push(...bytes(6, Buffer.from(s)));
  names.forEach((name, i) => {
    out.push(...bytes(5, [...field(1, i + 1), ...field(2, strings.indexOf(name))]));
    // One location per function, holding one line that names it.
    out.push(...bytes(4, [...field(1, i + 1), ...bytes(4, field(1, i + 1))]));
  });
  for (const s of stacks) {
    out.push(...bytes(2, [...packed(1, s.functions.map((fn) => names.indexOf(fn) + 1)), ...packed(2, [1, s.cpuNs])]));
  }
  return gzipSync(Buffer.from(out));
}

describe('etcd CPU profile', () => {
  const gateway = 'github.com/grpc-ecosystem/grpc-gateway/runtime.(*ServeMux).ServeHTTP';
  const wal = 'go.etcd.io/etcd/wal.(*WAL).sync';
  const gc = 'runtime.gcBgMarkWorker';

  it('decodes stacks leaf first with their CPU time', () => {
    const samples = decodeCpuProfile(profile([{ functions: [wal, 'main.main'], cpuNs: 30_000_000 }]));
    expect(samples).toEqual([{ stack: [wal, 'main.main'], cpuNs: 30_000_000 }]);
  });

  it('puts each sample in the first category any frame of its stack matches', () => {
    const shares = classify(decodeCpuProfile(profile([
      { functions: [wal, gateway], cpuNs: 50_000_000 },
      { functions: [wal], cpuNs: 30_000_000 },
      { functions: [gc], cpuNs: 20_000_000 },
    ])));
    expect(shares.cpuSeconds).toBeCloseTo(0.1, 9);
    expect(shares.shares).toEqual({
      'JSON gateway (HTTP/1.1, JSON, base64)': 0.5,
      'raft and WAL': 0.3,
      'Go runtime (GC, scheduler, syscalls)': 0.2,
    });
  });
});

describe('the results tables', () => {
  const window = (stallMs: number[] | null): WindowRow => ({
    from: 0, to: 100_000, seconds: 14, writesPerSec: 7000, p50: 8, p99: 25, p999: 50, elections: 0, retries: 0,
    rssBytes: [1, 2, 3], diskBytes: [1, 2, 3], stallMs, gcPauseMs: stallMs, longestStepMs: null, snapshotFiles: 1, snapshotFileSeconds: 0.5,
  });
  const widths = (table: string): Set<number> => new Set(table.split('\n').map((line) => line.split('|').length));

  it('the scale windows table has as many cells in its delimiter row and every row as in its header, with and without our columns', () => {
    for (const stallMs of [null, [20, 30, 40]]) {
      const table = windowTable({ system: 'x', keysWritten: 100_000, stoppedEarly: false, windows: [window(stallMs), window(stallMs)], restart: null, catchUp: null, errors: [] });
      expect(widths(table).size).toBe(1);
    }
  });

  it('markdownTable refuses alignments or rows of another width than the header', () => {
    expect(() => markdownTable(['a', 'b'], ['l'], [['1', '2']])).toThrow(/2 columns, 1 alignments/);
    expect(() => markdownTable(['a', 'b'], ['l', 'r'], [['1']])).toThrow(/rows of 1 cells/);
    expect(markdownTable(['a', 'b'], ['l', 'r'], [['1', '2']])).toBe('| a | b |\n|---|---:|\n| 1 | 2 |');
  });
});
