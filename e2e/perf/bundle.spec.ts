/**
 * Acceptance: the production bundle (built for these tests by the web server) stays under 200 KB
 * gzipped, everything counted (the page, the simulation worker, CSS, and live mode's chunks).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';

test('the bundle is under 200 KB gzipped', () => {
  const script = fileURLToPath(new URL('../../playground/scripts/bundle-size.mjs', import.meta.url));
  // The script exits non-zero over the limit; its table goes to the report.
  const out = execFileSync(process.execPath, [script], { encoding: 'utf8' });
  console.log(out);
  const total = Number(/total\s+[\d.]+ KB\s+([\d.]+) KB gz/.exec(out)![1]);
  expect(total).toBeLessThan(200);
});
