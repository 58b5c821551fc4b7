/**
 * The namespaced cluster's machinery (src/netns): what it creates and removes, how its faults act
 * on real traffic, and its cleanup after Ctrl-C and after a crash (`npm run cluster -- --netns`
 * as a user runs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, afterEach, expect, it } from 'vitest';
import { run, runIn } from '../src/netns/commands';
import { defaultStateDir, NetnsNetwork, removeStale } from '../src/netns/network';
import { planNetns } from '../src/netns/plan';
import { repoRoot } from '../src/supervisor/node-processes';
import { until } from './support/in-process-node';
import { describeNetns, testPrefix } from './support/netns';
import { pidAlive } from './support/process-cluster';

const clusterScript = path.join(repoRoot, 'node-server/src/cluster.ts');
const networks: NetnsNetwork[] = [];
const children: ChildProcess[] = [];
const tempDirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-netns-cmd-'));
  tempDirs.push(dir);
  return dir;
};

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const net of networks.splice(0)) await net.destroy();
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
afterAll(() => {
  expect(children.filter((c) => c.pid !== undefined && pidAlive(c.pid))).toEqual([]);
});

const namespaces = async () => (await run('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
const withPrefix = async (prefix: string) => (await namespaces()).filter((n) => n.startsWith(`${prefix}-`)).sort();

/** Runs a program inside `namespace` and waits until it prints its first line. */
function startIn(namespace: string, script: string): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

/** Opens a TCP connection from `namespace` to address:port: `ok` (it answered), `refused`, or `timeout` (the packets vanished). */
async function probe(namespace: string, address: string, port: number): Promise<string> {
  const script = `const s=require('net').connect({host:'${address}',port:${port},timeout:1500});s.on('data',()=>{console.log('ok');process.exit()});s.on('timeout',()=>{console.log('timeout');process.exit()});s.on('error',(e)=>{console.log(e.code==='ECONNREFUSED'?'refused':e.code);process.exit()})`;
  return (await runIn(namespace, process.execPath, ['-e', script])).trim();
}

/** Sends datagrams from `fromNs` to address in `toNs`: `got` when one arrived within 1.5 s, else `none`. */
async function datagram(fromNs: string, toNs: string, address: string): Promise<string> {
  const listener = `const d=require('dgram').createSocket('udp4');d.on('message',()=>{console.log('got');process.exit()});d.bind(9999,'${address}',()=>{console.log('up');setTimeout(()=>{console.log('none');process.exit()},1500)})`;
  const child = spawn('ip', ['netns', 'exec', toNs, process.execPath, '-e', listener], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe('up');
  await runIn(fromNs, process.execPath, ['-e', `const d=require('dgram').createSocket('udp4');let n=0;const s=()=>d.send('x',9999,'${address}',()=>{if(++n<5)setTimeout(s,50);else d.close()});s()`]);
  return (await lines.next()).value as string;
}

/** `npm run cluster -- --netns` in its own process group, as a terminal runs it; resolves once it printed the leader. */
async function startClusterCommand(prefix: string, dataDir: string): Promise<{ child: ChildProcess; output: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', clusterScript, '--netns', '--prefix', prefix], {
    cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_FORMAT: 'json', RAFT_DATA_DIR: dataDir },
  });
  children.push(child);
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) readline.createInterface({ input: stream }).on('line', (l) => output.push(l));
  await until('the cluster command to print its leader', () => output.some((l) => l.includes('leader: ')) || child.exitCode !== null, 60_000);
  expect(output.join('\n')).toContain('leader: ');
  return { child, output };
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
const nodePids = (output: string[]) => output.map((l) => / pid (\d+)$/.exec(l)?.[1]).filter(Boolean).map(Number);

describeNetns('network namespaces', () => {
  it('makes one namespace per node, one for clients and one for the bridge, all under one prefix, recorded; leaves the machine\'s own network alone; removes all of it', async () => {
    const hostLinks = await run('ip', ['-o', 'link', 'show']);
    const hostRoutes = await run('ip', ['route', 'show']);
    const prefix = testPrefix();
    const net = await NetnsNetwork.create(planNetns(prefix, ['n1', 'n2', 'n3']));
    networks.push(net);
    expect(await withPrefix(prefix)).toEqual([`${prefix}-br`, `${prefix}-client`, `${prefix}-n1`, `${prefix}-n2`, `${prefix}-n3`]);
    const state = JSON.parse(fs.readFileSync(net.stateFile, 'utf8')) as { ownerPid: number; namespaces: string[] };
    expect(state.ownerPid).toBe(process.pid);
    expect(state.namespaces.sort()).toEqual(await withPrefix(prefix));
    expect(await runIn(`${prefix}-n2`, 'ip', ['-4', '-o', 'addr', 'show', 'dev', 'rkv0'])).toContain('198.18.0.12/24');
    expect(await run('ip', ['-o', 'link', 'show'])).toBe(hostLinks);
    expect(await run('ip', ['route', 'show'])).toBe(hostRoutes);
    await net.destroy();
    expect(await withPrefix(prefix)).toEqual([]);
    expect(fs.existsSync(net.stateFile)).toBe(false);
  });

  it('cuts are nftables input rules: the dropped sender\'s packets vanish (no refusal), others and the client still get through; one way is one way; squeezes are tbf qdiscs', async () => {
    const prefix = testPrefix();
    const net = await NetnsNetwork.create(planNetns(prefix, ['n1', 'n2', 'n3']));
    networks.push(net);
    const [n1, n2, n3] = net.plan.nodes as [typeof net.plan.nodes[0], typeof net.plan.nodes[0], typeof net.plan.nodes[0]];
    await startIn(n1.namespace, `require('net').createServer((s)=>s.end('hi')).listen(8080,'${n1.address}',()=>console.log('up'))`);
    await startIn(n2.namespace, `require('net').createServer((s)=>s.end('hi')).listen(8080,'${n2.address}',()=>console.log('up'))`);
    expect(await probe(n2.namespace, n1.address, 8080)).toBe('ok');

    const rules = await net.setDrops('n1', { dropTo: ['n2'], dropFrom: ['n2'] });
    expect(rules).toEqual([`${n1.namespace}: ip saddr { ${n2.address} } drop`, `${n2.namespace}: ip saddr { ${n1.address} } drop`]);
    expect(await net.ruleset('n1')).toMatch(new RegExp(`chain input \\{[^}]*ip saddr ${n2.address.replace(/\./g, '\\.')} drop`));
    expect(await probe(n2.namespace, n1.address, 8080)).toBe('timeout');
    expect(await probe(n3.namespace, n1.address, 8080)).toBe('ok');
    expect(await probe(net.plan.clientNamespace, n1.address, 8080)).toBe('ok');

    // One way: n1 drops what n3 sends, n3 drops nothing. Datagrams show it (TCP needs both ways, so it hangs either way).
    await net.setDrops('n1', { dropFrom: ['n3'] });
    expect(await datagram(n3.namespace, n1.namespace, n1.address)).toBe('none');
    expect(await datagram(n1.namespace, n3.namespace, n3.address)).toBe('got');
    expect(await probe(n3.namespace, n1.address, 8080)).toBe('timeout');
    expect(await probe(n2.namespace, n1.address, 8080)).toBe('ok');

    expect(await net.healDrops()).toEqual([`${n1.namespace}: flush table inet raftkv`]);
    expect(await probe(n3.namespace, n1.address, 8080)).toBe('ok');

    await net.squeeze('n2', { rateKbit: 128 });
    expect(await runIn(n2.namespace, 'tc', ['qdisc', 'show', 'dev', 'rkv0'])).toMatch(/tbf .*rate 128Kbit/);
    expect(await runIn(net.plan.bridgeNamespace, 'tc', ['qdisc', 'show', 'dev', 'rkv-n2'])).toMatch(/tbf .*rate 128Kbit/);
    expect(await probe(n1.namespace, n2.address, 8080)).toBe('ok');
    await net.unsqueeze('n2');
    expect(await runIn(n2.namespace, 'tc', ['qdisc', 'show', 'dev', 'rkv0'])).not.toContain('tbf');
  });

  it('npm run cluster -- --netns: Ctrl-C stops the nodes and removes every namespace and the state file', async () => {
    const prefix = testPrefix();
    const { child, output } = await startClusterCommand(prefix, tempDir());
    const pids = nodePids(output);
    expect(pids).toHaveLength(3);
    expect(await withPrefix(prefix)).toHaveLength(5);
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited(child)).toBe(0);
    expect(await withPrefix(prefix)).toEqual([]);
    expect(fs.existsSync(path.join(defaultStateDir, `${prefix}.json`))).toBe(false);
    expect(pids.filter(pidAlive)).toEqual([]);
  }, 90_000);

  it('a run that was killed (SIGKILL) leaves namespaces behind; the next start removes them, and their processes', async () => {
    const prefix = testPrefix();
    const { child, output } = await startClusterCommand(prefix, tempDir());
    const pids = nodePids(output);
    child.kill('SIGKILL');
    await exited(child);
    expect(await withPrefix(prefix)).toHaveLength(5);
    expect(fs.existsSync(path.join(defaultStateDir, `${prefix}.json`))).toBe(true);

    const lines = await removeStale();
    expect(lines.join('\n')).toContain(`removed a stale run ${prefix} (owner pid ${child.pid} is gone)`);
    expect(await withPrefix(prefix)).toEqual([]);
    expect(fs.existsSync(path.join(defaultStateDir, `${prefix}.json`))).toBe(false);
    await until('the crashed run\'s nodes to be gone', () => pids.filter(pidAlive).length === 0, 10_000);
  }, 90_000);
});
