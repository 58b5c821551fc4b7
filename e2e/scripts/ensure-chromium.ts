/**
 * Runs before the browser tests: makes sure a Chromium is there. When none is found it installs
 * Debian's `chromium` package if it can (root and apt-get present), saying so; otherwise it stops
 * with a one-line instruction. It never lets the browser tests be skipped silently.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findChromium, installHint, isRoot } from './chromium';

function ensure(): string {
  let found: string | null;
  try {
    found = findChromium();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  if (found) return found;
  const aptGet = ['/usr/bin/apt-get', '/bin/apt-get'].find((p) => existsSync(p));
  if (!isRoot() || !aptGet) {
    console.error(installHint);
    process.exit(1);
  }
  console.log("No Chromium found: installing Debian's chromium package (apt-get install -y chromium)...");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync(aptGet, ['update'], { stdio: 'inherit', env });
  execFileSync(aptGet, ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
  const installed = findChromium();
  if (!installed) {
    console.error(`apt-get installed chromium but no binary was found. ${installHint}`);
    process.exit(1);
  }
  return installed;
}

console.log(`Browser tests use ${ensure()}`);
