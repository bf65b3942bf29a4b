// The Clients view against a REAL session: a real etcd child, the cachers, the HTTPS endpoint,
// traffic from real kubectl and @kubernetes/client-node, the built renderer in Debian Chromium.
// Rows sorted by etcd load, a click opens Requests filtered to that client, and the upgrade report
// is one click and saves as JSON. Screenshots in test-results/screens/clients-*.png.
import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { WebUi } from '../main/web.js';
import { Session } from '../main/session.js';
import { startEtcd, type EtcdProcess } from '../main/storage/etcd/process.js';
import { UpgradeReport } from '../shared/upgrade-report.js';
import { clientKey } from '../shared/clients.js';
import { openLiveSession, type LiveSessionPage } from './live-session.js';

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const shots = path.join(root, 'test-results', 'screens');
mkdirSync(shots, { recursive: true });

let etcd: EtcdProcess;
let session: Session;
let live: LiveSessionPage<Session> | undefined;
let ui: WebUi;
let page: Page;
let cacheDir: string;
const errors: string[] = [];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  cacheDir = mkdtempSync(path.join(tmpdir(), 'clients-e2e-'));
  etcd = await startEtcd();
  live = await openLiveSession(browser, new Session({ snapshotIntervalMs: 250 }), errors);
  ({ session, ui, page } = live);
});

test.afterAll(async () => {
  await live?.close();
  await etcd?.stop();
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
});

test('a controller that LISTs from etcd tops the Clients view; kubectl below it', async () => {
  test.setTimeout(120_000);
  const st = await session.connect({ mode: 'etcd', endpoints: [etcd.endpoint], resources: ['configmaps', 'namespaces'], profile: '1.34' });
  expect(st.state, st.message).toBe('connected');
  const kc = new KubeConfig();
  kc.loadFromFile(st.kubeconfigPath!);
  const api = kc.makeApiClient(CoreV1Api);
  for (let i = 0; i < 3; i++) await api.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `cm${i}` } } });
  // client-node: six RV="" LISTs (to etcd: 3.4.23 cannot answer progress requests) and one RV=0 LIST.
  for (let i = 0; i < 6; i++) await api.listNamespacedConfigMap({ namespace: 'default' });
  await api.listNamespacedConfigMap({ namespace: 'default', resourceVersion: '0' });
  // kubectl: one LIST, one GET.
  const kubectl = (...a: string[]) => exec('kubectl', ['--kubeconfig', st.kubeconfigPath!, '--cache-dir', cacheDir, ...a], { timeout: 30_000 });
  await kubectl('get', 'configmaps', '-n', 'default');
  await kubectl('get', 'configmap', 'cm0', '-n', 'default', '-o', 'name');

  await page.goto(ui.url);
  await expect(page.getByTestId('connection-state')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await page.getByTestId('tab-clients').click();
  await expect(page.getByTestId('clients-view')).toBeVisible();
  const rows = page.getByTestId('client-row');
  await expect(rows.filter({ hasText: 'kubectl/' })).toHaveCount(1, { timeout: 15_000 });
  const keys = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-client')));
  const etcdLoads = await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-etcd'))));
  expect(keys[0]).toMatch(/^kubernetes-client-javascript\//);
  expect(etcdLoads).toEqual([...etcdLoads].sort((a, b) => b - a));
  // client-node: 3 creates + 6 LISTs to etcd, one LIST from the cache.
  expect(etcdLoads[0]).toBe(9);
  const top = rows.first();
  await expect(top).toContainText('consistentReadFromStorage 6');
  await expect(top).toContainText('list 7');
  await expect(top).toContainText('create 3');
  await page.screenshot({ path: path.join(shots, 'clients-view.png') });
});

test('clicking a client opens Requests filtered to that client', async () => {
  const kubectlRow = page.getByTestId('client-row').filter({ hasText: 'kubectl/' });
  const key = await kubectlRow.getAttribute('data-client');
  await kubectlRow.click();
  await expect(page.getByTestId('requests-view')).toBeVisible();
  await expect(page.getByTestId('filter-client')).toContainText(key!);
  const expected = session.current!.decisions.since(0).filter((d) => clientKey(d.userAgent) === key).length;
  expect(expected).toBe(2);
  await expect(page.getByTestId('requests-count')).toHaveText(new RegExp(`^${expected} of \\d+ requests`));
  const agents = await page.getByTestId('decision-row').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
  expect(agents).toHaveLength(2);
  for (const a of agents) expect(a).toContain('kubectl/');
  await page.screenshot({ path: path.join(shots, 'clients-requests-filtered.png') });
  await page.getByTestId('filter-client-clear').click();
  await expect(page.getByTestId('filter-client')).toHaveCount(0);
  expect(Number(/of (\d+)/.exec((await page.getByTestId('requests-count').textContent()) ?? '')?.[1])).toBeGreaterThan(2);
});

test('the upgrade report is one click, and saves as JSON', async () => {
  await page.getByTestId('tab-clients').click();
  await page.getByTestId('upgrade-report-run').click();
  const panel = page.getByTestId('upgrade-report');
  await expect(panel).toBeVisible();
  await expect(panel).toContainText('cluster profile 1.34');
  await expect(panel.getByTestId('upgrade-clients')).toContainText('kubernetes-client-javascript/');
  await page.screenshot({ path: path.join(shots, 'clients-upgrade-report.png') });
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('upgrade-report-json').click()]);
  expect(dl.suggestedFilename()).toMatch(/^watchscope-upgrade-report-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.json$/);
  const saved = UpgradeReport.parse(JSON.parse(readFileSync((await dl.path())!, 'utf8')));
  expect(saved.clusterProfile).toBe('1.34');
  // The seven client-node LISTs and kubectl's LIST and GET: nine reads.
  expect(saved.reads).toBe(9);
  const node = saved.clients.find((c) => c.key.startsWith('kubernetes-client-javascript/'))!;
  expect(node.byProfile['1.34']).toEqual({ requests: 7, cache: 1, etcd: 6, rejected: 0 });
  expect(errors).toEqual([]);
});
