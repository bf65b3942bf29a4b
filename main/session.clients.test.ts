// Who costs what, on real parts: a session in etcd mode (a real etcd child, the cachers, the HTTPS
// endpoint), traffic from real kubectl and @kubernetes/client-node, each under its own user agent,
// and the aggregate (over the contract and at /debug/watchscope/clients) checked against the
// requests sent and against the decisions the endpoint recorded for them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { ClientsReport, clientKey, type ClientRow } from '../shared/clients.js';
import { UpgradeReport } from '../shared/upgrade-report.js';
import type { Decision } from '../shared/model.js';
import { Session } from './session.js';
import { startEtcd, type EtcdProcess } from './storage/etcd/process.js';
import { endpointFromKubeconfig, until, type KubeconfigEndpoint } from './storage/apiserver/testing.js';

const exec = promisify(execFile);
let etcd: EtcdProcess;
let session: Session;
let ep: KubeconfigEndpoint;
let kc: KubeConfig;
let api: CoreV1Api;
const cacheDir = mkdtempSync(join(tmpdir(), 'clients-kubectl-'));
const NODE_UA = /^kubernetes-client-javascript\//;
// client-node's Watch goes through undici's fetch without a User-Agent of its own, so its watches
// arrive under undici's default: a third client, as a cluster would see it.
const WATCH_UA = /^undici$/;

const kubectl = (...args: string[]) => exec('kubectl', ['--kubeconfig', ep.kubeconfig, '--cache-dir', cacheDir, ...args], { timeout: 30_000 });

function get(path: string, token: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${ep.server}${path}`, { ca: ep.ca, headers: token ? { authorization: `Bearer ${token}` } : {} }, (r) => {
      let body = '';
      r.on('data', (b: Buffer) => (body += b.toString()));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const decisions = (): Decision[] => session.current!.decisions.since(0);
const byAgent = (r: ClientsReport, test: RegExp): ClientRow => {
  const row = r.userAgents.find((x) => test.test(x.key));
  if (!row) throw new Error(`no row for ${test} in ${r.userAgents.map((x) => x.key).join(', ')}`);
  return row;
};

beforeAll(async () => {
  etcd = await startEtcd();
  session = new Session({ snapshotIntervalMs: 500 });
  const st = await session.connect({ mode: 'etcd', endpoints: [etcd.endpoint], resources: ['configmaps', 'namespaces'], profile: '1.34' });
  expect(st.state, st.state === 'failed' ? st.message : '').toBe('connected');
  ep = endpointFromKubeconfig(st.kubeconfigPath!);
  kc = new KubeConfig();
  kc.loadFromFile(ep.kubeconfig);
  api = kc.makeApiClient(CoreV1Api);
}, 60_000);

afterAll(async () => {
  await session?.close();
  await etcd?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('clients of a real session', () => {
  let kubectlRaw = '';
  let watchAbort: AbortController | undefined;
  let listRV = '';

  it('client-node: 4 creates, 2 consistent LISTs, one RV=0 LIST, one paginated exact LIST, one watch', async () => {
    for (let i = 0; i < 4; i++) await api.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `c${i}` }, data: { v: 'x'.repeat(100 * (i + 1)) } } });
    await api.listNamespacedConfigMap({ namespace: 'default' });
    listRV = (await api.listNamespacedConfigMap({ namespace: 'default' })).metadata!.resourceVersion!;
    await api.listNamespacedConfigMap({ namespace: 'default', resourceVersion: '0' });
    await api.listNamespacedConfigMap({ namespace: 'default', resourceVersion: listRV, resourceVersionMatch: 'Exact', limit: 2 });
    const seen: string[] = [];
    watchAbort = await new Watch(kc).watch('/api/v1/namespaces/default/configmaps', { resourceVersion: listRV, allowWatchBookmarks: true }, (type) => seen.push(type), () => undefined);
    await until(() => decisions().some((d) => d.verb === 'watch' && WATCH_UA.test(clientKey(d.userAgent))), 10_000, 'the watch to be decided');
  });

  it('kubectl: one LIST (limit=500), one GET, one raw LIST, one create', async () => {
    await kubectl('get', 'configmaps', '-n', 'default');
    await kubectl('get', 'configmap', 'c0', '-n', 'default', '-o', 'name');
    kubectlRaw = (await kubectl('get', '--raw', '/api/v1/namespaces/default/configmaps')).stdout;
    await kubectl('create', 'configmap', 'from-kubectl', '-n', 'default', '--from-literal=k=v');
  });

  it('the aggregate counts each client\'s requests by verb and by side, as sent and as decided', async () => {
    const r = ClientsReport.parse(await session.getClients({ minutes: 5 }));
    const node = byAgent(r, NODE_UA);
    const k = byAgent(r, /^kubectl\//);
    expect(node.byVerb).toEqual({ get: 0, list: 4, watch: 0, create: 4, update: 0, patch: 0, delete: 0 });
    expect(byAgent(r, WATCH_UA).byVerb).toEqual({ get: 0, list: 0, watch: 1, create: 0, update: 0, patch: 0, delete: 0 });
    expect(k.byVerb).toEqual({ get: 1, list: 2, watch: 0, create: 1, update: 0, patch: 0, delete: 0 });
    // etcd 3.4.23 cannot answer progress requests, so 1.34 sends consistent LISTs to etcd; RV=0
    // and the exact LIST (from the cache's snapshot) are the cache's.
    expect(node.list.requests).toBe(4);
    expect(node.consistentLists).toBe(2);
    expect(k.consistentLists).toBe(2);
    const listsTo = (ua: RegExp, side: string) => decisions().filter((d) => ua.test(clientKey(d.userAgent)) && d.verb === 'list' && d.servedBy === side).length;
    expect(listsTo(NODE_UA, 'cache')).toBe(2);
    expect(listsTo(NODE_UA, 'etcd')).toBe(2);
    for (const [row, ua] of [[node, NODE_UA], [k, /^kubectl\//], [byAgent(r, WATCH_UA), WATCH_UA]] as const) {
      const mine = decisions().filter((d) => ua.test(clientKey(d.userAgent)));
      expect(row.requests).toBe(mine.length);
      expect(row.cache).toBe(mine.filter((d) => d.servedBy === 'cache').length);
      expect(row.etcd).toBe(mine.filter((d) => d.servedBy === 'etcd').length);
      expect(row.sources).toEqual(['endpoint']);
    }
    expect(node.topReasons.find((t) => t.reason === 'consistentReadFromStorage')).toMatchObject({ servedBy: 'etcd', count: 2 });
    // Consistent LISTs fall in the current minute (or the one before, at a minute's turn).
    expect(node.consistentListsPerMinute.reduce((a, b) => a + b, 0)).toBe(2);
    expect(node.consistentListsPerMinute).toHaveLength(5);
  });

  it('LIST objects and bytes: kubectl --raw prints the body the endpoint counted', async () => {
    const raw = decisions().find((d) => d.verb === 'list' && /^kubectl\//.test(d.userAgent) && !d.query.limit)!;
    expect(raw.objects).toBe(4);
    expect(raw.bytes).toBe(Buffer.byteLength(kubectlRaw.replace(/\n$/, '')));
    const r = await session.getClients({ minutes: 5 });
    const k = byAgent(r, /^kubectl\//);
    expect(k.list.sized).toBe(2);
    // kubectl's first LIST ran before its own create: 4 objects each.
    expect(k.list.objects).toBe(8);
    const node = byAgent(r, NODE_UA);
    // 4 + 4 + 4 + the exact page of 2.
    expect(node.list.objects).toBe(14);
    expect(node.list.bytes).toBeGreaterThan(0);
  });

  it('what-if: the exact paginated LIST the 1.34 cache answers from its snapshot goes to etcd under 1.27–1.33', async () => {
    const node = byAgent(await session.getClients({}), NODE_UA);
    for (const p of ['1.27', '1.28', '1.31', '1.33']) expect(node.whatIf.find((w) => w.profile === p)).toMatchObject({ toEtcd: 1 });
    expect(node.whatIf.some((w) => w.profile === '1.34')).toBe(false);
    const report = UpgradeReport.parse(await session.upgradeReport());
    expect(report.clusterProfile).toBe('1.34');
    expect(report.changes.find((c) => c.profile === '1.27' && c.verb === 'list' && c.resource === 'configmaps')).toMatchObject({ from: 'cache', to: 'etcd', count: 1 });
    expect(report.clients.map((c) => c.key)).toEqual(expect.arrayContaining([expect.stringMatching(NODE_UA), expect.stringMatching(/^kubectl\//)]));
  });

  it('an open watch, then how it ended', async () => {
    let node = byAgent(await session.getClients({}), WATCH_UA);
    expect(node.watches).toMatchObject({ open: 1, started: 1, ended: 0 });
    watchAbort!.abort();
    await until(async () => byAgent(await session.getClients({}), WATCH_UA).watches.ended === 1, 10_000, 'the watch end to be counted');
    node = byAgent(await session.getClients({}), WATCH_UA);
    expect(node.watches.open).toBe(0);
    expect(node.watches.endReasons).toEqual([{ reason: 'clientGone', count: 1 }]);
  });

  it('sorted by etcd load', async () => {
    const r = await session.getClients({});
    const etcdCounts = r.userAgents.map((x) => x.etcd);
    expect(etcdCounts).toEqual([...etcdCounts].sort((a, b) => b - a));
    expect(r.userAgents.length).toBeGreaterThanOrEqual(2);
  });

  it('GET /debug/watchscope/clients: the same aggregate as JSON, token-protected, minutes checked', async () => {
    const ok = await get('/debug/watchscope/clients?minutes=5', ep.token);
    expect(ok.status).toBe(200);
    const body = ClientsReport.parse(JSON.parse(ok.body));
    expect(body.minutes).toBe(5);
    expect(byAgent(body, NODE_UA).byVerb.create).toBe(4);
    expect(byAgent(body, /^kubectl\//).requests).toBe(byAgent(await session.getClients({ minutes: 5 }), /^kubectl\//).requests);
    expect((await get('/debug/watchscope/clients', ep.token)).status).toBe(200);

    const noToken = await get('/debug/watchscope/clients?minutes=5', undefined);
    expect(noToken.status).toBe(401);
    expect(JSON.parse(noToken.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });

    const bad = await get('/debug/watchscope/clients?minutes=abc', ep.token);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400, message: 'strconv.ParseInt: parsing "abc": invalid syntax' });
    for (const m of ['0', '61', '-3']) {
      const r = await get(`/debug/watchscope/clients?minutes=${m}`, ep.token);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({ reason: 'BadRequest', message: `minutes: Invalid value: ${m}: must be between 1 and 60` });
    }
  });
});

describe('clients of an audit stream', () => {
  let dir: string;
  let audited: Session;
  const now = () => new Date().toISOString();
  const line = (id: string, uri: string, verb: string, user: string, ua: string, stage = 'ResponseComplete', durationMs = 20) => {
    const t = Date.now();
    return JSON.stringify({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Request',
      auditID: id,
      stage,
      requestURI: uri,
      verb,
      user: { username: user },
      userAgent: ua,
      responseStatus: { code: 200 },
      requestReceivedTimestamp: new Date(t - durationMs).toISOString(),
      stageTimestamp: now(),
    });
  };
  const RS = 'kube-controller-manager/v1.31.4 (linux/amd64) kubernetes/abc1234/replicaset-controller';
  const OP = 'my-operator/2.0';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'clients-audit-'));
    audited = new Session({ snapshotIntervalMs: 200 });
  });
  afterAll(async () => {
    await audited?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('per user agent and per user, the watch open until its ResponseComplete, and the upgrade report under the cluster\'s profile', async () => {
    const log = join(dir, 'audit.log');
    const rs = 'system:serviceaccount:kube-system:replicaset-controller';
    writeFileSync(
      log,
      [
        line('v', '/api/v1/namespaces/default', 'get', 'system:apiserver', 'kube-apiserver/v1.31.4 (linux/amd64) kubernetes/abc1234'),
        // Three consistent LISTs and one RV=0 LIST from the controller; a GET and a watch from the operator.
        line('a1', '/api/v1/pods', 'list', rs, RS),
        line('a2', '/api/v1/pods?limit=500', 'list', rs, RS),
        line('a3', '/api/v1/namespaces/ns1/pods', 'list', rs, RS),
        line('a4', '/api/v1/pods?resourceVersion=0', 'list', rs, RS),
        line('b1', '/api/v1/namespaces/ns1/configmaps/x', 'get', 'alice', OP),
        line('w1', '/api/v1/namespaces/ns1/configmaps?watch=true&resourceVersion=5', 'watch', 'alice', OP, 'ResponseStarted'),
      ].join('\n') + '\n',
    );
    const st = await audited.connect({ mode: 'audit', audit: { logPath: log, etcdProgress: false } });
    expect(st).toMatchObject({ state: 'connected', profile: '1.31' });
    await until(async () => (await audited.getClients({ minutes: 5 })).sources.audit === 7, 10_000, 'the seven audited requests');
    let r = ClientsReport.parse(await audited.getClients({ minutes: 5 }));
    const ctrl = byAgent(r, /^kube-controller-manager\/v1\.31\.4 replicaset-controller$/);
    // With an etcd that does not answer progress requests (said so), 1.31 sends consistent LISTs to etcd.
    expect(ctrl).toMatchObject({ requests: 4, etcd: 3, cache: 1, consistentLists: 3, sources: ['audit'] });
    expect(ctrl.byVerb.list).toBe(4);
    expect(ctrl.topReasons[0]).toMatchObject({ servedBy: 'etcd', count: 3 });
    // The controller is the top row: sorted by etcd load.
    expect(r.userAgents[0]!.key).toBe(ctrl.key);
    expect(r.users.find((u) => u.key === rs)).toMatchObject({ requests: 4, etcd: 3 });
    const op = byAgent(r, /^my-operator\/2\.0$/);
    expect(op.byVerb).toMatchObject({ get: 1, watch: 1 });
    expect(op.watches).toMatchObject({ open: 1, started: 1, ended: 0 });
    expect(r.users.find((u) => u.key === 'alice')).toMatchObject({ requests: 2 });
    // LIST sizes are not in an audit log.
    expect(ctrl.list).toEqual({ requests: 4, sized: 0, objects: 0, bytes: 0 });

    appendFileSync(log, line('w1', '/api/v1/namespaces/ns1/configmaps?watch=true&resourceVersion=5', 'watch', 'alice', OP, 'ResponseComplete', 4000) + '\n');
    await until(async () => byAgent(await audited.getClients({}), /^my-operator/).watches.ended === 1, 10_000, 'the watch end');
    r = await audited.getClients({});
    expect(byAgent(r, /^my-operator/).watches).toMatchObject({ open: 0, ended: 1, endReasons: [{ reason: 'responseComplete 200', count: 1 }], meanDurationMs: 4000 });
    expect(byAgent(r, /^my-operator/).requests).toBe(2);

    const report = UpgradeReport.parse(await audited.upgradeReport());
    expect(report.clusterProfile).toBe('1.31');
    // Seven reads: kube-apiserver's own GET, the four LISTs, the GET and the watch.
    expect(report.source).toMatch(/: 7 reads from the cluster's audit stream$/);
    expect(report.assumptions).toContain('etcd does not answer RequestWatchProgress (below 3.4.31 / 3.5.13)');
    expect(report.clients.find((c) => c.key === `kube-controller-manager/v1.31.4 replicaset-controller · ${rs}`)?.byProfile['1.31']).toEqual({ requests: 4, cache: 1, etcd: 3, rejected: 0 });
  });
});
