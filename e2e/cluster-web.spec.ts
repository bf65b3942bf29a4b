// The Cluster view against REAL sessions in kube mode: kube-apiserver v1.36 on etcd 3.5.16 (its
// own watch cache, what the model learned), the same cluster seen by a user without /metrics, and
// v1.20.2 (the series it lacks). Screenshots in test-results/screens/cluster-*.png.
import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { WebUi } from '../main/web.js';
import { Session } from '../main/session.js';
import { startEtcd, type EtcdProcess } from '../main/storage/etcd/process.js';
import { ETCD_35_MISSING_MESSAGE, KUBE_136_MISSING_MESSAGE, findEtcd35, findKubeApiserver136, startKube136, type RealApiserver } from '../main/storage/kube/testing/kube-1.36.js';
import { CONTEXTS, KUBE_APISERVER_MISSING_MESSAGE, findKubeApiserver, startTestApiserver } from '../main/storage/kube/testing/apiserver.js';
import { paintedPixels } from './canvas.js';
import { openLiveSession, type LiveSessionPage } from './live-session.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const shots = path.join(root, 'test-results', 'screens');
mkdirSync(shots, { recursive: true });

const missing = !findKubeApiserver136() ? KUBE_136_MISSING_MESSAGE : !findEtcd35() ? ETCD_35_MISSING_MESSAGE : !findKubeApiserver() ? KUBE_APISERVER_MISSING_MESSAGE : undefined;
if (missing) console.warn(`\n!!! Cluster view e2e SKIPPED: ${missing}\n`);

let live: LiveSessionPage<Session> | undefined;
let ui: WebUi;
let session: Session;
let page: Page;
let etcd: EtcdProcess;
let api: RealApiserver;
const errors: string[] = [];

test.describe.configure({ mode: 'serial' });
test.skip(!!missing, missing ?? '');

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  etcd = await startEtcd({ bin: findEtcd35()! });
  api = await startKube136(etcd.endpoint);
  const k = (...a: string[]) => run('kubectl', ['--kubeconfig', api.kubeconfig, ...a]);
  await k('create', 'namespace', 'ws');
  await k('create', 'clusterrole', 'ws-reader', '--verb=get,list,watch', '--resource=*.*');
  await k('create', 'clusterrolebinding', 'ws-reader', '--clusterrole=ws-reader', '--user=test-viewer');
  live = await openLiveSession(browser, new Session({ snapshotIntervalMs: 300, clusterMetricsIntervalMs: 1000 }), errors);
  ({ session, ui, page } = live);
});

test.afterAll(async () => {
  await live?.close();
  await api?.stop();
  await etcd?.stop();
});

test('v1.36 on etcd 3.5: what the model learned, the cluster\'s cache per resource, and its lag chart', async () => {
  test.setTimeout(90_000);
  const st = await session.connect({ mode: 'kube', kubeconfig: api.kubeconfig, context: 'admin-token', resources: ['configmaps', 'namespaces', 'pods'] });
  expect(st.state).toBe('connected');
  for (let i = 0; i < 6; i++) await run('kubectl', ['--kubeconfig', api.kubeconfig, 'create', 'configmap', `cm-${i}`, '-n', 'ws']);
  await page.goto(ui.url);
  await expect(page.getByTestId('connection-state')).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
  await page.getByTestId('tab-cluster').click();
  const model = page.getByTestId('cluster-model');
  await expect(model).toHaveAttribute('data-from', 'metrics');
  await expect(page.getByTestId('cluster-progress-trust')).toHaveText('trusted');
  await expect(page.getByTestId('cluster-progress-how')).toContainText('moved apiserver_watch_cache_consistent_read_total{resource="namespaces"}');
  await expect(page.getByTestId('cluster-gates-how')).toContainText('kubernetes_feature_enabled on /metrics');
  await expect(model.locator('[data-gate="ConsistentListFromCache"]')).toContainText('GA');
  await expect(page.getByTestId('cluster-model-assumed')).toHaveCount(0);

  const row = page.locator('[data-testid="cluster-cacher-row"][data-resource="configmaps"]');
  await expect(row).toBeVisible({ timeout: 20_000 });
  // A rate appears once a second scrape exists; nothing on v1.36 is "not in version".
  await expect(row.locator('[data-key="eventsReceived"]')).toContainText('/s', { timeout: 20_000 });
  await expect(row.locator('[data-key="eventsReceived"]')).toHaveAttribute('data-state', 'value');
  await expect(row.locator('[data-key="watches"]')).toHaveAttribute('data-state', 'value');
  await expect(page.locator('[data-state="notInVersion"]')).toHaveCount(0);
  await expect(page.getByTestId('cluster-missing')).toHaveCount(0);
  await expect(page.getByTestId('cluster-cacher-row')).toHaveCount(3);
  // Beside it, watchscope's embedded cacher of the same resource.
  await expect(row.getByTestId('cluster-embedded')).toContainText(/watchscope: \d+ watchers · RV \d+/);
  const chart = page.getByTestId('cluster-lag-chart').locator('canvas');
  await expect(chart).toBeVisible({ timeout: 20_000 });
  await expect.poll(() => paintedPixels(chart), { timeout: 10_000 }).toBeGreaterThan(500);
  await page.screenshot({ path: path.join(shots, 'cluster-136.png'), fullPage: true });
});

test('a user without /metrics: the refusal, what it means, and what the model assumed', async () => {
  test.setTimeout(60_000);
  const st = await session.connect({ mode: 'kube', kubeconfig: api.kubeconfig, context: 'viewer', resources: ['configmaps'] });
  expect(st.state).toBe('connected');
  await expect(page.getByTestId('cluster-model')).toHaveAttribute('data-from', 'assumed', { timeout: 20_000 });
  await expect(page.getByTestId('cluster-model-assumed')).toContainText('RequestWatchProgress assumed not trusted');
  await expect(page.getByTestId('cluster-progress-trust')).toHaveText('not trusted');
  await expect(page.getByTestId('cluster-refused')).toContainText('the cluster refuses /metrics to user "test-viewer"', { timeout: 20_000 });
  await expect(page.getByTestId('cluster-cacher')).toContainText('nonResourceURLs: ["/metrics"]');
  await expect(page.getByTestId('cluster-cacher-row')).toHaveCount(0);
  await page.screenshot({ path: path.join(shots, 'cluster-refused.png'), fullPage: true });
});

test('v1.20.2: the series it lacks are named with the release that brought them, never 0', async () => {
  test.setTimeout(120_000);
  const old = await startTestApiserver();
  try {
    const st = await session.connect({ mode: 'kube', kubeconfig: old.kubeconfig, context: CONTEXTS.admin, resources: ['configmaps', 'namespaces'] });
    expect(st.state).toBe('connected');
    await expect(page.getByTestId('cluster-gates-how')).toContainText('has no kubernetes_feature_enabled (it came in 1.26)', { timeout: 20_000 });
    const chips = page.getByTestId('cluster-missing-series');
    await expect(page.locator('[data-testid="cluster-missing-series"][data-key="eventsReceived"]')).toContainText('apiserver_watch_cache_events_received_total (from 1.27)', { timeout: 20_000 });
    await expect(page.locator('[data-testid="cluster-missing-series"][data-key="consistentReads"]')).toContainText('(from 1.31)');
    expect(await chips.count()).toBeGreaterThanOrEqual(10);
    const row = page.locator('[data-testid="cluster-cacher-row"][data-resource="configmaps"]');
    const cell = row.locator('[data-key="eventsReceived"]');
    await expect(cell).toHaveAttribute('data-state', 'notInVersion');
    await expect(cell).toContainText('n/a');
    await expect(cell).not.toContainText('0');
    await expect(row.locator('[data-key="watches"]')).toHaveAttribute('data-state', 'value');
    await expect(page.getByTestId('cluster-lag-missing')).toContainText('apiserver_watch_cache_resource_version is not in v1.20.2 (it came in 1.31)');
    await page.screenshot({ path: path.join(shots, 'cluster-120.png'), fullPage: true });
  } finally {
    await session.disconnect();
    await old.stop();
  }
  expect(errors).toEqual([]);
});
