/**
 * core must stay pure: no clock, randomness, timers, Node or DOM. (ESLint enforces the same; this
 * test keeps the fence even where lint is skipped.)
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../src');
const forbidden = [
  /\bDate\.now\b/, /\bnew Date\(/, /\bMath\.random\b/, /\bsetTimeout\b/, /\bsetInterval\b/, /\bsetImmediate\b/,
  /\bperformance\.now\b/, /\bprocess\./, /\bwindow\./, /\bdocument\./, /from ['"]node:/, /from ['"](fs|path|os|http|crypto)['"]/,
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('core purity', () => {
  it('no source file in core/src reaches for the clock, randomness, timers, Node or the DOM', () => {
    const hits: string[] = [];
    for (const file of files(root)) {
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '');
        if (/^\s*\*/.test(line)) return;
        for (const pattern of forbidden) if (pattern.test(code)) hits.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(hits).toEqual([]);
  });
});
