// Web mode against a REAL session fed by a REAL audit log: kube-apiserver v1.20.2 on a temp etcd
// writes its audit log at Request level while kubectl and client-node send known requests; the
// user connects to that log from the Connect view (no kubeconfig), and the Requests view shows the
// requests as inferred decisions with what they assumed, the what-if of each, and the bad input
// appended to the log counted with its first example. Screenshots in test-results/screens/audit-*.png.
import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { appendFileSync, mkdirSync } from 'node:fs';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Session } from '../main/session.js';
import { clusterMissing, startAuditedCluster, type AuditedCluster } from '../main/cluster/testing/clusters.js';
import { openLiveSession, type LiveSessionPage } from './live-session.js';

const root = path.resolve(import.meta.dirname, '..');
const shots = path.join(root, 'test-results', 'screens');
mkdirSync(shots, { recursive: true });

const missing = clusterMissing('1.20');
if (missing) console.warn(`\n!!! audit web UI tests SKIPPED: ${missing}\n`);

let live: LiveSessionPage<Session>;
let session: Session;
let cluster: AuditedCluster;
let page: Page;
const errors: string[] = [];
const ns = 'audited-ui';

test.describe.configure({ mode: 'serial' });
test.skip(missing !== undefined, missing ?? '');

test.beforeAll(async ({ browser }) => {
  test.setTimeout(180_000);
  cluster = await startAuditedCluster('1.20');
  await cluster.kubectl(['create', 'namespace', ns]);
  await cluster.kubectl(['create', 'configmap', 'a', '-n', ns, '--from-literal=k=v']);
  await cluster.kubectl(['get', 'configmaps', '-n', ns]);
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const api = kc.makeApiClient(CoreV1Api);
  await api.listNamespacedConfigMap({ namespace: ns, resourceVersion: '0' });
  await api.listNamespacedConfigMap({ namespace: ns });
  session = new Session({ snapshotIntervalMs: 250 });
  live = await openLiveSession(browser, session, errors);
  page = live.page;
});

test.afterAll(async () => {
  await live?.close();
  await cluster?.stop();
});

test('a path that does not exist: the Connect view says so within seconds and stays usable', async () => {
  await page.goto(live.ui.url);
  await page.getByTestId('audit-log-path').fill('/no/such/dir/audit.log');
  const t0 = Date.now();
  await page.getByTestId('connect-audit').click();
  await expect(page.getByTestId('connect-error')).toContainText('audit log /no/such/dir/audit.log does not exist (check the path', { timeout: 5000 });
  expect(Date.now() - t0).toBeLessThan(5000);
  await page.getByTestId('audit-log-path').fill('relative/audit.log');
  await page.getByTestId('connect-audit').click();
  await expect(page.getByTestId('connect-error')).toContainText('The audit log path must be absolute');
});

test('connect to the audit log: the Requests view shows the cluster\'s requests, inferred, under the version the log names', async () => {
  await page.getByTestId('audit-log-path').fill(cluster.auditLog);
  await page.getByTestId('connect-audit').click();
  await expect(page.getByTestId('connection-state')).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
  await expect(page.getByTestId('requests-view')).toBeVisible();
  await expect(page.getByTestId('audit-profile')).toHaveText('1.20');
  await expect(page.getByTestId('audit-status')).toContainText(/from kube-apiserver\/v1\.20\.\d+ in the log's own requests/);
  await expect(page.getByTestId('header')).toContainText(/kube-apiserver v1\.20\.\d+/);

  // Every request routed before the view opened is in it too (the ring is paged in, not only the snapshots' slices).
  const routed = session.current!.decisions.lastId;
  expect(routed).toBeGreaterThan(200);
  await expect.poll(async () => Number(/of (\d+) requests/.exec((await page.getByTestId('requests-count').textContent()) ?? '')?.[1] ?? 0), { timeout: 10_000 }).toBeGreaterThanOrEqual(routed);

  await page.getByPlaceholder('Search client, namespace, query…').fill(ns);
  const rows = page.getByTestId('decision-row');
  // kubectl: namespace create, configmap create, paged LIST; client-node: RV "0" LIST and a consistent LIST.
  const cacheList = rows.filter({ hasText: 'resourceVersion=0' }).filter({ hasText: 'kubernetes-client-javascript' });
  await expect(cacheList).toHaveCount(1, { timeout: 20_000 });
  await expect(cacheList.getByTestId('inferred-marker')).toHaveText('inferred');
  await expect(cacheList).toContainText('cache');
  await expect(cacheList).toContainText('servedFromCache');
  const created = rows.filter({ hasText: 'create' }).filter({ hasText: `/namespaces/${ns}/configmaps` });
  await expect(created).toHaveCount(1);
  await expect(created).toContainText('kubectl/');
  await expect(created).toContainText('201');
  // Every row of the search is inferred: this session serves nothing itself.
  const n = await rows.count();
  expect(n).toBeGreaterThanOrEqual(4);
  await expect(page.getByTestId('inferred-marker')).toHaveCount(n);

  // A consistent LIST: etcd under 1.20 (the log's version); what-if: from 1.31 the cache, under the stated assumption.
  const consistent = rows.filter({ hasText: 'kubernetes-client-javascript' }).filter({ hasText: 'consistentReadFromStorage' });
  await expect(consistent).toHaveCount(1);
  await consistent.click();
  const details = page.getByTestId('decision-details');
  await expect(details.getByTestId('decision-inferred')).toContainText('inferred from the cluster\'s audit stream, sent by');
  await expect(details.getByTestId('decision-assumptions')).toContainText('every resource has its watch cache enabled and ready (the log does not say otherwise)');
  await expect(details.getByTestId('decision-assumptions')).toContainText('etcd answers RequestWatchProgress');
  const whatIf = details.getByTestId('whatif-table');
  await expect(whatIf.locator('tr').filter({ hasText: '1.27' })).toContainText('consistentReadFromStorage');
  await expect(whatIf.locator('tr').filter({ hasText: '1.34' })).toContainText('consistentReadFromCache');
  await page.screenshot({ path: path.join(shots, 'audit-requests.png'), fullPage: true });

});

test('bad input appended to the followed log is counted with its first example, and requests keep coming', async () => {
  appendFileSync(cluster.auditLog, 'garbage that is not json\n');
  appendFileSync(cluster.auditLog, JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1alpha1', auditID: 'x', stage: 'ResponseComplete', requestURI: '/api/v1/pods', verb: 'list' }) + '\n');
  await expect(page.getByTestId('audit-bad-total')).toHaveText('2 bad input', { timeout: 10_000 });
  await page.getByTestId('audit-toggle').click();
  await expect(page.getByTestId('audit-bad-notJSON')).toContainText('not JSON — garbage that is not json');
  await expect(page.getByTestId('audit-bad-unknownApiVersion')).toContainText('apiVersion "audit.k8s.io/v1alpha1"');
  await expect(page.getByTestId('audit-log')).toContainText('followed as it grows');

  // The log is still followed: a request sent now shows up.
  await cluster.kubectl(['create', 'configmap', 'after-bad-input', '-n', ns, '--from-literal=k=v']);
  // The open row of the previous test holds the list still; resume live.
  await page.getByTestId('requests-resume').click();
  await page.getByPlaceholder('Search client, namespace, query…').fill('');
  await page.getByTestId('filter-verb').selectOption('create');
  await expect(page.getByTestId('decision-row').filter({ hasText: `/namespaces/${ns}/configmaps` })).toHaveCount(2, { timeout: 15_000 });
  await page.screenshot({ path: path.join(shots, 'audit-bad-input.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('Watchers and Freshness say why an audit-only session has nothing for them, and where to look instead', async () => {
  for (const view of ['watchers', 'freshness']) {
    await page.getByTestId(`tab-${view}`).click();
    await expect(page.getByTestId('audit-only-note')).toContainText(/reads the cluster's audit stream only: watchscope serves no watches and keeps no watch cache here/);
    await page.screenshot({ path: path.join(shots, `audit-only-${view}.png`) });
  }
  await page.getByTestId('audit-only-clients').click();
  await expect(page.getByTestId('view-clients')).toBeVisible();
});
