// The time-travel panel (Freshness view) in web mode against the REAL session: the demo's etcd
// child, cacher and endpoint, and its workload. First with no writes (nothing can come from
// behind); then with the endpoint's cache held 4 s behind etcd (the demo stack's DelayedSource)
// while the workload writes pods, so resourceVersion=0 answers really are stale, and the panel
// must say so with the objects that differ. The screenshot is test-results/screens/time-travel.png.
import { test, expect } from '@playwright/test';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { Session } from '../main/session.js';
import { openLiveSession, type LiveSessionPage } from './live-session.js';

const shots = path.join(path.resolve(import.meta.dirname, '..'), 'test-results', 'screens');
mkdirSync(shots, { recursive: true });

let live: LiveSessionPage<Session>;

test.beforeAll(async ({ browser }) => {
  live = await openLiveSession(browser, new Session({ demo: { workload: { writesPerSecond: 0, kubelets: 1, informers: 1, slowReader: false } } }));
});

test.afterAll(async () => {
  await live?.close();
});

test('time travel: none behind without writes; a lagging cache is named with the objects it lacks', async () => {
  test.setTimeout(180_000);
  const { session, page, ui, errors } = live;
  await page.goto(ui.url);
  await page.getByTestId('connect-demo').click();
  await expect(page.getByTestId('connection-state')).toHaveAttribute('data-state', 'connected', { timeout: 60_000 });
  await session.setWorkload({ writesPerSecond: 0 });

  await page.keyboard.press('Control+3');
  await page.getByTestId('cache-card').filter({ hasText: 'pods' }).first().click();
  const panel = page.getByTestId('time-travel');
  await expect(panel).toBeVisible();
  // The demo has no cluster to ask: only watchscope's endpoint is offered.
  await expect(page.getByTestId('time-travel-target').locator('option')).toHaveText(["watchscope's endpoint"]);

  await page.getByTestId('time-travel-attempts').fill('3');
  await page.getByTestId('time-travel-check').click();
  await expect(page.getByTestId('time-travel-summary')).toContainText('None of 3 answers came from behind', { timeout: 30_000 });
  await expect(page.getByTestId('time-travel-replica')).toHaveCount(1);
  await expect(page.getByTestId('time-travel-note')).toContainText('cannot tell whether one apiserver or several answered');
  await expect(page.getByTestId('time-travel-answer').filter({ has: page.locator('[class="verdict-stale"]') })).toHaveCount(0);

  // Hold the endpoint's cache 4 s behind etcd and let the workload write pods.
  const stack = session.current!.stack!;
  stack.delayed.setDelay(4000);
  await session.setWorkload({ writesPerSecond: 20 });
  try {
    await page.waitForTimeout(6000);
    await page.getByTestId('time-travel-attempts').fill('4');
    await page.getByTestId('time-travel-check').click();
    await expect(page.getByTestId('time-travel-summary')).toContainText(/\d+ of 4\s+answers came from behind\s+\(server A\)/, { timeout: 60_000 });
    const stale = page.locator('[data-testid="time-travel-answer"][data-verdict="stale"]');
    expect(await stale.count()).toBeGreaterThan(0);
    // Each stale answer names objects: pods the cache lacks or holds older copies of.
    const examples = page.getByTestId('time-travel-example');
    expect(await examples.count()).toBeGreaterThan(0);
    await expect(examples.first()).toContainText(/default\/|\//);
    await expect(page.locator('[data-testid="time-travel-replica"][data-replica="A"]')).not.toHaveAttribute('data-stale', '0');
    // The session's result says the same as the page.
    const st = await session.timeTravel({ action: 'status' });
    expect(st.results[0]!.summary.stale).toBe(await stale.count());
    expect(st.results[0]!.answers.filter((a) => a.verdict === 'stale').every((a) => (a.rvBehind ?? 0) > 0)).toBe(true);
    await panel.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'time-travel.png'), fullPage: true });
  } finally {
    stack.delayed.setDelay(0);
    await session.setWorkload({ writesPerSecond: 0 });
  }

  // A bad request is refused by the contract, not run: the session says why.
  const refused = await session.timeTravel({ action: 'check', resource: 'pods', attempts: 3, target: 'cluster' }).catch((e: Error) => e.message);
  expect(refused).toMatch(/Only a cluster connection \(kube mode\)/);
  expect(errors).toEqual([]);
});
