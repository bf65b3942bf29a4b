// Web mode against the REAL session: the demo's etcd child, the cacher, the HTTPS endpoint and
// the demo workload's HTTP clients, shown by the built renderer in Debian Chromium. Screenshots of
// each view are kept in test-results/screens/live-*.png.
import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { WebUi } from '../main/web.js';
import { Session } from '../main/session.js';
import { paintedPixels } from './canvas.js';
import { openLiveSession, type LiveSessionPage } from './live-session.js';

const root = path.resolve(import.meta.dirname, '..');
const shots = path.join(root, 'test-results', 'screens');
mkdirSync(shots, { recursive: true });

let live: LiveSessionPage<Session> | undefined;
let ui: WebUi;
let session: Session;
let page: Page;
const errors: string[] = [];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  live = await openLiveSession(browser, new Session({ demo: { workload: { writesPerSecond: 30, kubelets: 3, informers: 2, slowReader: false } } }), errors);
  ({ session, ui, page } = live);
});

test.afterAll(async () => {
  await live?.close();
});

test('connect to the demo: a real etcd starts and the header says connected', async () => {
  test.setTimeout(90_000);
  await page.goto(ui.url);
  await expect(page.getByTestId('connect-view')).toBeVisible();
  await page.getByTestId('connect-demo').click();
  await expect(page.getByTestId('connection-state')).toHaveAttribute('data-state', 'connected', { timeout: 60_000 });
  await expect(page.getByTestId('header')).toContainText('3.4.23');
  expect(session.current?.etcd?.pid).toBeGreaterThan(0);
});

test('watchers: the workload\'s kubelets and informers appear with their buffers', async () => {
  await page.keyboard.press('Control+2');
  await expect(page.getByTestId('watchers-view')).toBeVisible();
  const rows = page.getByTestId('watcher-row');
  await expect(rows.filter({ hasText: 'kubelet/node-1' })).toHaveCount(1, { timeout: 20_000 });
  await expect(rows.filter({ hasText: 'spec.nodeName=node-1' })).toHaveCount(1);
  await expect(rows.filter({ hasText: 'informer-1/pods' })).toHaveCount(1);
  // Every watcher row draws its input and result buffers against capacity.
  await expect(rows.first().getByTestId('fill-input')).toBeVisible();
  await page.screenshot({ path: path.join(shots, 'live-watchers.png') });
});

test('freshness: etcd revision vs cache RV for pods, and the chart draws', async () => {
  await page.keyboard.press('Control+3');
  const pods = page.getByTestId('cache-card').filter({ hasText: 'pods' }).first();
  await expect(pods).toBeVisible();
  await expect(pods.getByTestId('cache-ready')).toContainText('Ready');
  await pods.click();
  const canvas = page.getByTestId('freshness-chart').locator('canvas');
  await expect(canvas).toBeVisible();
  await page.waitForTimeout(2000);
  const painted = await paintedPixels(canvas);
  expect(painted).toBeGreaterThan(1000);
  // The demo's etcd revision is read from a quorum range read's header; the view says so.
  await expect(page.getByTestId('revision-method')).toContainText('etcd revision: measured by etcd header revision of a quorum range read (every 1 s) and watch progress notifications');
  // No cluster /metrics outside kube mode.
  await expect(page.getByTestId('cluster-metrics')).toHaveCount(0);
  // The cache RV moves with the workload's writes.
  const rv1 = session.snapshot()!.caches.find((c) => c.resource === 'pods')!.resourceVersion;
  await page.waitForTimeout(1500);
  const rv2 = session.snapshot()!.caches.find((c) => c.resource === 'pods')!.resourceVersion;
  expect(rv2).toBeGreaterThan(rv1);
  await page.screenshot({ path: path.join(shots, 'live-freshness.png') });
});

test('consistency: Check now compares the pods cache with etcd, and the demo workload leaves every cache consistent', async () => {
  test.setTimeout(60_000);
  await page.keyboard.press('Control+3');
  await page.getByTestId('cache-card').filter({ hasText: 'pods' }).first().click();
  const panel = page.getByTestId('consistency');
  await expect(panel).toHaveAttribute('data-state', 'none');
  await page.getByTestId('consistency-check').click();
  await expect(panel).toHaveAttribute('data-state', 'match', { timeout: 20_000 });
  await expect(page.getByTestId('consistency-consequence')).toContainText('Snapshots are on');
  await expect(panel).toContainText(/at RV \d+ · \d+ objects/);
  const pods = session.snapshot()!.caches.find((c) => c.resource === 'pods')!;
  expect(pods.consistency).toMatchObject({ state: 'match', differencesTotal: 0, consequence: 'snapshotsEnabled' });
  expect(pods.consistency!.objects).toBeGreaterThan(0);
  await page.screenshot({ path: path.join(shots, 'live-consistency.png') });

  // Every cache, under the running workload: no difference anywhere.
  const { results } = await session.checkConsistency({});
  expect(results.length).toBeGreaterThanOrEqual(8);
  const verdicts = results.map((r) => `${r.resource}: ${r.check.state}${r.check.message ? ` (${r.check.message})` : ''}`);
  expect(verdicts.filter((v) => !v.endsWith(': match'))).toEqual([]);
  expect(errors).toEqual([]);
});

test('requests: real decisions with reasons, and the what-if across profiles', async () => {
  await page.keyboard.press('Control+4');
  const rows = page.getByTestId('decision-row');
  await expect(rows.first()).toBeVisible({ timeout: 20_000 });
  // The informers' LIST resourceVersion=0 is served from the cache.
  await page.getByTestId('filter-served').selectOption('cache');
  await expect(rows.first()).toBeVisible({ timeout: 20_000 });
  await page.getByTestId('filter-served').selectOption('');
  // What-if covers reads (writes always go to etcd).
  await page.getByTestId('filter-verb').selectOption('list');
  await page.getByTestId('requests-pause').click();
  await rows.first().click();
  await expect(page.getByTestId('decision-details')).toBeVisible();
  await expect(page.getByTestId('whatif-table')).toContainText('1.27');
  await page.screenshot({ path: path.join(shots, 'live-requests.png') });
  await page.getByTestId('requests-resume').click();
  await page.getByTestId('filter-verb').selectOption('');
});

test('console: a paginated LIST through the endpoint, with its decision and continue token', async () => {
  await page.keyboard.press('Control+5');
  await page.getByTestId('console-verb').selectOption('list');
  await page.getByTestId('console-resource').fill('pods');
  await page.getByTestId('console-limit').fill('5');
  await page.getByTestId('console-run').click();
  await expect(page.getByTestId('console-status')).toHaveText('200');
  // 1.34 on etcd 3.4.23: a consistent LIST cannot be served from the cache (no trusted progress).
  await expect(page.getByTestId('console-served-by')).toContainText('etcd');
  await expect(page.getByTestId('console-items').locator('tbody tr')).toHaveCount(5);
  const token = await page.getByTestId('console-continue-token').textContent();
  expect(token?.length).toBeGreaterThan(10);
  await page.getByTestId('console-next-page').click();
  await expect(page.getByTestId('console-status')).toHaveText('200');
  await expect(page.getByTestId('console-continue-token')).not.toHaveText(token!);
  await page.screenshot({ path: path.join(shots, 'live-console.png') });
});

test('a forced close appears with its reason (slow watcher preset)', async () => {
  test.setTimeout(240_000);
  const r = await session.runScenario('slow-watcher', { scale: 0.3 });
  expect(r.signature.closeReason, `${r.summary} ${JSON.stringify(r.signature)}`).toBe('bufferFull');
  await page.keyboard.press('Control+2');
  await page.getByTestId('show-closed').click();
  await page.getByTestId('watcher-filter').fill('scenario/slow-watcher');
  // Its first watch was force-closed (bufferFull); the re-watch ended when the preset stopped.
  const closed = page.getByTestId('watcher-row').filter({ hasText: 'watchscope-scenario/slow-watcher' }).filter({ hasText: 'bufferFull' });
  await expect(closed.first()).toContainText('Forcing pods watcher close due to unresponsiveness', { timeout: 10_000 });
  await page.getByTestId('watcher-filter').fill('');
  await page.screenshot({ path: path.join(shots, 'live-watchers-closed.png') });
  await page.getByTestId('show-live').click();
  expect(errors).toEqual([]);
});
