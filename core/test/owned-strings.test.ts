import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ownedString } from '../src/sorted-map';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/internalized-strings.ts');

describe('the strings the KV map keeps', () => {
  it('are the same characters', () => {
    for (const s of ['', 'a', 'k0000001', '0123456789', '01234567890', 'é€😀', 'x'.repeat(300)]) expect(ownedString(s)).toBe(s);
  });

  // JSON.parse internalizes every string of up to 10 characters, and V8 walks its whole string
  // table in every full collection: a map of a million such keys made those pauses grow with the data.
  it('are not the internalized strings JSON.parse made, after an apply or a restore', () => {
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', fixture], { encoding: 'utf8' });
    const r = JSON.parse(out) as Record<string, unknown>;
    expect(r.parsed, 'the check itself: what JSON.parse made is internalized').toEqual([true, true, true, true]);
    expect(r.applied).toEqual([false, false, false, false]);
    expect(r.chunkIsJson).toBe(true);
    expect(r.restoredJson).toEqual([false, false, false, false]);
    expect(r.appliedPairs).toEqual([['k0000001', 'short'], ['k0000002', 'v2']]);
    expect(r.restoredPairs).toEqual([['a\u0000', 'value-a'], ['k0000003', 'v3333']]);
  });
});
