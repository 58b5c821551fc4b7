/**
 * Drives the playground as a user does: the URL, the node buttons, the client panel. Reads the
 * result only through the stable test hooks of docs/playground.md (and a few more the
 * playground documents). Waits are on conditions, against the simulated clock shown on the page,
 * never fixed sleeps.
 */
import { expect } from '@playwright/test';
import type { Page } from '@playwright/test';

export interface NodeState {
  id: string;
  role: 'leader' | 'follower' | 'candidate' | 'down';
  term: number;
  commitIndex: number;
  lastApplied: number;
  logLength: number;
  leaderId: string;
}

export interface ClientAnswer {
  status: number;
  body: Record<string, unknown>;
  node: string;
}

/**
 * How fast simulated time runs while a test clicks through the UI. docs/scenarios.md's time limits are
 * simulated time here, and each browser round trip of the test costs real time (tens of ms), so
 * the speed is the same trade-off as a real-process test's slow HTTP client: 5x keeps the limits
 * meaningful and the suite quick. Guided runs need no round trips and use 100x.
 */
export const uiSpeed = Number(process.env.E2E_UI_SPEED ?? 5);

/** Opens the playground on a reproducible run. */
export async function openPlayground(page: Page, params: { seed: number; nodes?: number; speed?: number; extra?: string }): Promise<void> {
  const q = `seed=${params.seed}&nodes=${params.nodes ?? 3}&speed=${params.speed ?? uiSpeed}${params.extra ? `&${params.extra}` : ''}`;
  await page.goto(`/?${q}`);
  await expect(page.getByTestId('node-n1')).toBeVisible();
}

export async function nodeStates(page: Page): Promise<NodeState[]> {
  return page.locator('g[data-testid^="node-"][data-role]').evaluateAll((els) => els.map((e) => ({
    id: e.getAttribute('data-testid')!.slice('node-'.length),
    role: e.getAttribute('data-role') as NodeState['role'],
    term: Number(e.getAttribute('data-term')),
    commitIndex: Number(e.getAttribute('data-commit-index')),
    lastApplied: Number(e.getAttribute('data-last-applied')),
    logLength: Number(e.getAttribute('data-log-length')),
    leaderId: e.getAttribute('data-leader-id') ?? '',
  })));
}

export async function nodeState(page: Page, id: string): Promise<NodeState> {
  const all = await nodeStates(page);
  return all.find((n) => n.id === id)!;
}

/** The simulated clock shown on the page, in ms. */
export async function simNow(page: Page): Promise<number> {
  return Number(await page.getByTestId('clock').getAttribute('data-now'));
}

/** How often in-page waits re-check (ms): the simulation may run at 100x, so this stays short. */
const pollMs = 10;

/** Waits until `ms` of simulated time has passed on the page. */
export async function waitSim(page: Page, ms: number): Promise<void> {
  const until = (await simNow(page)) + ms;
  await page.waitForFunction(
    (until) => Number(document.querySelector('[data-testid="clock"]')?.getAttribute('data-now')) >= until,
    until,
    { polling: pollMs, timeout: 30_000 },
  );
}

/**
 * The "stable leader" of docs/scenarios.md: the same single leader, followed by every live node among
 * `ids`, in 5 consecutive polls at least 250 ms of simulated time apart.
 *
 * The polls run in the page, against the clock it shows: a poll from the test costs a few round
 * trips of real time, which at 10x on a busy machine is seconds of simulated time, so polls from
 * here would land far more than 250 ms apart and use up the limit on their own overhead.
 */
export async function stableLeader(page: Page, ids: readonly string[] = ['n1', 'n2', 'n3'], simTimeoutMs = 25_000): Promise<string> {
  const token = `${Date.now()}-${Math.random()}`;
  const answer = await page.waitForFunction(({ token, ids, simTimeoutMs }) => {
    interface Poll { deadline: number; nextAt: number; streak: number; last: string | null }
    const polls = ((window as unknown as { __stableLeader?: Record<string, Poll> }).__stableLeader ??= {});
    const now = Number(document.querySelector('[data-testid="clock"]')?.getAttribute('data-now'));
    const poll = (polls[token] ??= { deadline: now + simTimeoutMs, nextAt: now, streak: 0, last: null });
    if (now < poll.nextAt) return null;
    poll.nextAt = now + 250;
    const mine = Array.from(document.querySelectorAll('g[data-testid^="node-"][data-role]'))
      .map((e) => ({ id: e.getAttribute('data-testid')!.slice('node-'.length), role: e.getAttribute('data-role'), term: e.getAttribute('data-term'), leaderId: e.getAttribute('data-leader-id') }))
      .filter((n) => ids.includes(n.id));
    const leaders = mine.filter((n) => n.role === 'leader');
    const agreed = leaders.length === 1 && mine.filter((n) => n.role !== 'down')
      .every((n) => n.term === leaders[0]!.term && (n.role === 'leader' || (n.role === 'follower' && n.leaderId === leaders[0]!.id)));
    const leader = agreed ? leaders[0]!.id : null;
    poll.streak = leader && leader === poll.last ? poll.streak + 1 : leader ? 1 : 0;
    poll.last = leader;
    if (poll.streak >= 5) return { leader };
    if (now > poll.deadline) return { leader: null };
    return null;
  }, { token, ids, simTimeoutMs }, { polling: pollMs, timeout: 60_000 });
  const { leader } = (await answer.jsonValue())!;
  if (!leader) throw new Error(`no stable leader among ${ids.join(',')} within ${simTimeoutMs} ms of simulated time`);
  return leader;
}

export const others = (all: readonly string[], ...exclude: string[]): string[] => all.filter((id) => !exclude.includes(id));

/**
 * Sends one request from the client panel and waits for its answer on screen. A single try, as an
 * HTTP client would make it, unless `retry` (the simulator's clients can follow hints and retry;
 * live mode has no such switch).
 */
export async function client(page: Page, op: 'put' | 'get' | 'delete', target: string, key: string, value = '', retry = false): Promise<ClientAnswer> {
  // The form as it stands, read in one round trip: like a user, the test changes only what differs.
  // Each action waits on the page's next frames; re-setting every field made a request cost 7-8
  // actions instead of 3-4.
  const form = await page.evaluate(() => {
    const field = (id: string) => document.querySelector<HTMLInputElement | HTMLSelectElement>(`[data-testid="${id}"]`);
    const retryBox = field('client-retry') as HTMLInputElement | null;
    return {
      retry: retryBox ? retryBox.checked : null,
      target: field('client-target')?.value,
      key: field('client-key')?.value,
      value: field('client-value')?.value,
      requestId: document.querySelector<HTMLElement>('[data-testid="client-result"]')?.dataset.requestId ?? '0',
    };
  });
  if (form.retry !== null && form.retry !== retry) await page.getByTestId('client-retry').setChecked(retry);
  if (form.target !== target) await page.getByTestId('client-target').selectOption(target);
  if (form.key !== key) await page.getByTestId('client-key').fill(key);
  if (op === 'put' && form.value !== value) await page.getByTestId('client-value').fill(value);
  const before = form.requestId;
  await page.getByTestId(`client-${op}`).click();
  const answer = await page.waitForFunction((before) => {
    const el = document.querySelector<HTMLElement>('[data-testid="client-result"]');
    if (!el || el.dataset.requestId === before || el.dataset.status === 'pending') return null;
    return { status: el.dataset.status!, text: el.querySelector('.response-line')?.textContent ?? '', node: el.dataset.node ?? '' };
  }, before, { polling: pollMs, timeout: 30_000 });
  // waitForFunction resolves on the first truthy value, so the answer is there.
  const { status, text, node } = (await answer.jsonValue())!;
  const body = JSON.parse(text.slice(text.indexOf('{'))) as Record<string, unknown>;
  return { status: Number(status), body, node };
}

export async function putOk(page: Page, target: string, key: string, value: string): Promise<void> {
  const answer = await client(page, 'put', target, key, value);
  expect(answer.status, `PUT ${key}=${value} to ${target}: ${JSON.stringify(answer.body)}`).toBe(200);
}

/** Reads `key` on `node` until it returns `value` (404 for null), within simulated `simTimeoutMs`. */
export async function readEventually(page: Page, node: string, key: string, value: string | null, simTimeoutMs = 12_000): Promise<void> {
  const deadline = (await simNow(page)) + simTimeoutMs;
  while (true) {
    const answer = await client(page, 'get', node, key);
    if (value === null ? answer.status === 404 : answer.status === 200 && answer.body.value === value) return;
    if ((await simNow(page)) > deadline) throw new Error(`${key} on ${node}: expected ${value ?? '404'}, last answer ${answer.status} ${JSON.stringify(answer.body)}`);
    await waitSim(page, 250);
  }
}

export async function readEverywhere(page: Page, nodes: readonly string[], key: string, value: string | null, simTimeoutMs = 12_000): Promise<void> {
  for (const node of nodes) await readEventually(page, node, key, value, simTimeoutMs);
}

export async function kill(page: Page, id: string): Promise<void> {
  await page.getByTestId(`kill-${id}`).click();
  await expect(page.getByTestId(`node-${id}`)).toHaveAttribute('data-role', 'down');
}

export async function restart(page: Page, id: string): Promise<void> {
  await page.getByTestId(`restart-${id}`).click();
  await expect(page.getByTestId(`node-${id}`)).not.toHaveAttribute('data-role', 'down');
}

/**
 * H1 as the page shows it: each node's `[apply] index=N` log (opened by clicking the node) has at
 * least `min` lines and its indexes strictly increase.
 */
export async function expectApplyLogsInOrder(page: Page, ids: readonly string[], min: number): Promise<void> {
  for (const id of ids) {
    await page.getByTestId(`node-${id}`).click();
    const log = page.getByTestId(`apply-log-${id}`);
    await expect(log).toHaveAttribute('data-increasing', 'true');
    expect(Number(await log.getAttribute('data-count'))).toBeGreaterThanOrEqual(min);
    const indexes = ((await log.textContent()) ?? '').split('\n').map((line) => Number(/\[apply\] index=(\d+)/.exec(line)?.[1]));
    expect(indexes.length).toBeGreaterThanOrEqual(min);
    for (let i = 1; i < indexes.length; i++) expect(indexes[i]!).toBeGreaterThan(indexes[i - 1]!);
  }
}
