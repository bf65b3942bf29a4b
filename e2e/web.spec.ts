// Web mode end-to-end: the built renderer in Chromium, talking over the real WebSocket transport
// (main/web.ts) to a FAKE WatchscopeService (e2e/fake-service.ts) that emits realistic snapshots.
// What this proves: the UI, the transport and the token guard. It proves nothing about routing
// or caching; those are tested against real etcd beside the storage code.
import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { startWebUi, type WebUi } from '../main/web.js';
import { FakeWatchscopeService } from './fake-service.js';
import { paintedPixels } from './canvas.js';
import { collectPageErrors } from './page-errors.js';
import { DOC_LINKS } from '../shared/docs-links.js';

const root = path.resolve(import.meta.dirname, '..');
const shots = path.join(root, 'test-results', 'screens');
mkdirSync(shots, { recursive: true });

let ui: WebUi;
let service: FakeWatchscopeService;

test.beforeAll(async () => {
  service = new FakeWatchscopeService({ watchers: 3000, snapshotIntervalMs: 250 });
  ui = await startWebUi({ service, rendererDir: path.join(root, 'out', 'renderer') });
});
test.afterAll(async () => {
  service?.close();
  await ui?.close();
});

async function openApp(page: Page): Promise<void> {
  const errors: string[] = [];
  collectPageErrors(page, errors);
  await page.goto(ui.url);
  await expect(page.getByTestId('app')).toBeVisible();
  // The token is spent and removed from the address bar.
  expect(new URL(page.url()).searchParams.get('token')).toBeNull();
  (page as Page & { __errors?: string[] }).__errors = errors;
}

function pageErrors(page: Page): string[] {
  return (page as Page & { __errors?: string[] }).__errors ?? [];
}

test.describe.configure({ mode: 'serial' });

test('the one-time link works once; a second browser gets 401', async ({ browser }) => {
  const ctx1 = await browser.newContext();
  const p1 = await ctx1.newPage();
  await openApp(p1);
  const ctx2 = await browser.newContext();
  const p2 = await ctx2.newPage();
  const res = await p2.goto(ui.url);
  expect(res?.status()).toBe(401);
  await ctx2.close();

  // The first browser keeps its session: connect view lists kubeconfig contexts, current preselected.
  await expect(p1.getByTestId('connect-view')).toBeVisible();
  await expect(p1.getByTestId('context-kind-dev')).toContainText('current');
  await expect(p1.getByTestId('context-kind-dev').locator('input')).toBeChecked();
  await expect(p1.getByTestId('connection-state')).toHaveAttribute('data-state', 'disconnected');
  await p1.screenshot({ path: path.join(shots, 'connect-light.png') });

  // An etcd that refuses: the error says what happened and what to do.
  await p1.getByTestId('etcd-endpoints').fill('http://127.0.0.1:1');
  await p1.getByTestId('connect-etcd').click();
  await expect(p1.getByTestId('connect-error')).toContainText('refused the connection');
  await expect(p1.getByTestId('connection-state')).toHaveAttribute('data-state', 'failed');

  // Demo connects and switches to the watchers view.
  await p1.getByTestId('connect-demo').click();
  await expect(p1.getByTestId('connection-state')).toHaveAttribute('data-state', 'connected');
  await expect(p1.getByTestId('view-watchers')).toBeVisible();
  expect(service.calls.find((c) => c.method === 'connect' && (c.arg as { mode: string }).mode === 'demo')).toBeTruthy();
  expect(pageErrors(p1)).toEqual([]);

  // Keep this page for the following tests through the shared context.
  shared.page = p1;
});

const shared: { page?: Page } = {};

test('watchers: virtualised list of thousands, fill warnings, sort, filter, closed list', async () => {
  const page = shared.page!;
  await page.keyboard.press('2');
  const list = page.getByTestId('watcher-list');
  // The snapshot carries at most 2000 live watchers and says how many exist.
  await expect(list).toHaveAttribute('data-total', '2000');
  await expect(page.getByTestId('watcher-summary')).toContainText('showing 2000 of 3k');
  const rendered = await page.getByTestId('watcher-row').count();
  expect(rendered).toBeGreaterThan(5);
  expect(rendered).toBeLessThan(120); // only the rows in view are in the DOM
  // Sorted by fill, fullest first: the top row is full, and warnings are visible.
  await expect(page.getByTestId('watcher-row').first().getByTestId('fill-input')).toHaveAttribute('data-level', 'full');
  await expect(page.getByTestId('watcher-summary')).toContainText('full');
  await expect(page.getByTestId('watcher-summary')).toContainText('≥ 70%');
  // Scrolling deep still renders rows (virtualisation keeps up).
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
  await expect(page.getByTestId('watcher-row').first()).toBeVisible();
  await list.evaluate((el) => (el.scrollTop = 0));
  await page.screenshot({ path: path.join(shots, 'watchers-light.png') });

  await page.getByTestId('watcher-filter').fill('spec.nodeName=node-3');
  await expect(list).toHaveAttribute('data-total', /^[1-9][0-9]?$/);
  for (const t of await page.getByTestId('watcher-row').allTextContents()) expect(t).toContain('spec.nodeName=node-3');
  await page.getByTestId('watcher-filter').fill('');

  await page.getByTestId('show-closed').click();
  await expect(page.getByTestId('watcher-row').first()).toContainText(/bufferFull|timeout|clientGone|tooOldResourceVersion/);
  await page.screenshot({ path: path.join(shots, 'watchers-closed-light.png') });
  await page.getByTestId('show-live').click();
});

test('freshness: per-resource cards and the revision chart', async () => {
  const page = shared.page!;
  await page.keyboard.press('3');
  await expect(page.getByTestId('cache-card')).toHaveCount(3);
  await expect(page.getByTestId('cache-card').filter({ hasText: 'leases' }).getByTestId('cache-lag')).toContainText('4 rev');
  await page.getByTestId('cache-card').filter({ hasText: 'leases' }).click();
  const canvas = page.getByTestId('freshness-chart').locator('canvas');
  await expect(canvas).toBeVisible();
  // The chart drew something: the canvas is not blank.
  const painted = await paintedPixels(canvas);
  expect(painted).toBeGreaterThan(1000);
  // How the "etcd rev" figures are measured is said in words.
  await expect(page.getByTestId('revision-method')).toContainText('etcd revision: measured by etcd header revision of a quorum range read');
  // kube mode: the cluster's own /metrics figures, per cached resource, labelled as the cluster's.
  await expect(page.getByTestId('cluster-metrics')).toHaveCount(0);
  service.clusterMetrics = {
    scrapedAt: Date.now() - 12_000,
    resources: [
      { resource: 'pods', values: { watches: 14, storageObjects: 1234, eventsReceived: 56_000 } },
      { resource: 'leases.coordination.k8s.io', values: { watches: 3, storageObjects: 40 } },
      { resource: 'secrets', values: { watches: 1, storageObjects: 9 } },
    ],
  };
  const cm = page.getByTestId('cluster-metrics');
  await expect(cm).toContainText("Reported by the cluster's kube-apiserver");
  await expect(cm).toContainText(/scraped 1\d s ago/);
  await expect(cm.getByTestId('cluster-metrics-row')).toHaveCount(2); // secrets is not cached
  await expect(cm.locator('[data-testid="cluster-metrics-row"][data-resource="pods"]')).toContainText('1.2k');
  await cm.getByTestId('cluster-metrics-all').check();
  await expect(cm.getByTestId('cluster-metrics-row')).toHaveCount(3);
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(shots, 'freshness-light.png') });
  service.clusterMetrics = { scrapedAt: Date.now(), error: 'the cluster refuses /metrics to user "sre-ro" — the cluster\'s own watch-cache counters need RBAC get on nonResourceURL /metrics', resources: [] };
  await expect(page.getByTestId('cluster-metrics-error')).toContainText('the cluster refuses /metrics to user "sre-ro"');
  await expect(cm.getByTestId('cluster-metrics-row')).toHaveCount(0);
  service.clusterMetrics = undefined;
  await expect(page.getByTestId('cluster-metrics')).toHaveCount(0);
});

test('requests: decision log newest first, filters, expandable row with what-if', async () => {
  const page = shared.page!;
  await page.keyboard.press('4');
  await expect(page.getByTestId('decision-row').first()).toBeVisible();
  const ids = await page.getByTestId('decision-row').evaluateAll((els) => els.slice(0, 5).map((e) => Number(e.getAttribute('data-decision-id'))));
  expect(ids).toEqual([...ids].sort((a, b) => b - a));
  await page.getByTestId('filter-served').selectOption('etcd');
  await page.getByTestId('filter-verb').selectOption('list');
  await expect(page.getByTestId('requests-count')).toContainText('of');
  await page.getByTestId('filter-served').selectOption('');
  await page.getByTestId('filter-verb').selectOption('');
  // Pausing holds the list still so rows do not move under the pointer; new ones are counted.
  await page.getByTestId('requests-pause').click();
  await page.getByTestId('decision-row').first().click();
  await expect(page.getByTestId('decision-details')).toBeVisible();
  await expect(page.getByTestId('requests-resume')).toContainText(/[1-9][0-9]* newer/);
  await expect(page.getByTestId('whatif-table')).toContainText('1.27');
  await expect(page.getByTestId('whatif-table')).toContainText('1.34');
  // The documentation links are exactly the shell's allow-list, opened in a new browsing context.
  const links = page.getByTestId('doc-links').locator('a');
  expect(await links.evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel')]))).toEqual(
    DOC_LINKS.map((l) => [l.url, '_blank', 'noopener noreferrer']),
  );
  await page.screenshot({ path: path.join(shots, 'requests-light.png') });
});

test('console: list with continue and next page, then a live watch', async () => {
  const page = shared.page!;
  await page.keyboard.press('5');
  await page.getByTestId('console-verb').selectOption('list');
  await page.getByTestId('console-limit').fill('10');
  await page.getByTestId('console-run').click();
  await expect(page.getByTestId('console-status')).toHaveText('200');
  await expect(page.getByTestId('console-served-by')).toBeVisible();
  await expect(page.getByTestId('console-items').locator('tbody tr')).toHaveCount(10);
  await expect(page.getByTestId('console-continue-token')).toHaveText('page-10');
  await page.screenshot({ path: path.join(shots, 'console-list-light.png') });
  await page.getByTestId('console-next-page').click();
  await expect(page.getByTestId('console-continue-token')).toHaveText('page-20');
  await expect(page.getByTestId('console-items')).toContainText('web-10');
  const sent = service.calls.filter((c) => c.method === 'runRequest').at(-1)!.arg as { query: Record<string, string> };
  expect(sent.query).toMatchObject({ continue: 'page-10', limit: '10' });
  expect(sent.query.resourceVersion).toBeUndefined();

  await page.getByTestId('console-verb').selectOption('watch');
  await page.getByTestId('console-sie').selectOption('true');
  await page.getByTestId('console-rvm').selectOption('NotOlderThan');
  await page.getByTestId('console-run').click();
  await expect(page.getByTestId('console-event').first()).toBeVisible();
  await expect(page.getByTestId('console-watch-ended')).toContainText('maxEvents');
  await expect(page.getByTestId('console-events')).toContainText('initial-events-end');
  await page.screenshot({ path: path.join(shots, 'console-watch-light.png') });
});

test('header shows reconnecting with a countdown, and failure with its reason', async () => {
  const page = shared.page!;
  service.setConnection({ state: 'reconnecting', mode: 'demo', target: 'demo', retryInMs: 8000, message: 'etcd stopped answering; retrying' });
  await expect(page.getByTestId('connection-state')).toHaveAttribute('data-state', 'reconnecting');
  await expect(page.getByTestId('retry-countdown')).toContainText(/retry in [0-9.]+ s/);
  await expect(page.getByTestId('connection-message')).toContainText('retrying');
  await page.screenshot({ path: path.join(shots, 'header-reconnecting.png'), clip: { x: 0, y: 0, width: 1440, height: 90 } });
  service.setConnection({ state: 'connected', mode: 'demo', target: 'demo', sourceVersion: '3.4.23', endpoint: 'https://127.0.0.1:46443' });
  await expect(page.getByTestId('connection-state')).toHaveAttribute('data-state', 'connected');
});

test('keyboard navigation and dark theme', async () => {
  const page = shared.page!;
  for (const [key, view] of [
    ['Control+1', 'connect'],
    ['Control+2', 'watchers'],
    ['Control+3', 'freshness'],
    ['Control+4', 'requests'],
    ['Control+5', 'console'],
  ] as const) {
    await page.keyboard.press(key);
    await expect(page.getByTestId(`view-${view}`)).toBeVisible();
  }
  // Typing a digit into a field does not switch views.
  await page.getByTestId('console-resource').fill('');
  await page.getByTestId('console-resource').type('2');
  await expect(page.getByTestId('view-console')).toBeVisible();

  const toggle = page.getByTestId('theme-toggle');
  while ((await page.getByTestId('app').getAttribute('data-theme-effective')) !== 'dark') await toggle.click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  for (const [key, name] of [
    ['1', 'connect'],
    ['2', 'watchers'],
    ['3', 'freshness'],
    ['4', 'requests'],
  ] as const) {
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press(key);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shots, `${name}-dark.png`) });
  }
  await page.keyboard.press('Control+5');
  await page.screenshot({ path: path.join(shots, 'console-dark.png') });
  expect(pageErrors(page)).toEqual([]);
});

test('prefers-color-scheme: dark is honoured when the theme is automatic', async ({ browser }) => {
  const ctx = await browser.newContext({ colorScheme: 'dark' });
  const page = await ctx.newPage();
  // The token was spent; reuse the first browser's cookie in this context.
  const cookies = await shared.page!.context().cookies();
  await ctx.addCookies(cookies);
  await page.goto(ui.origin + '/');
  await expect(page.getByTestId('app')).toHaveAttribute('data-theme-effective', 'dark');
  await ctx.close();
});
