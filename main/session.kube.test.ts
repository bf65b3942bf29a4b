// kube mode end to end: a Session connected through a kubeconfig context to a real kube-apiserver
// (v1.20.2, built by scripts/build-kube-apiserver.sh) on a real etcd, with kubectl pointed at the
// kubeconfig watchscope writes. One apiserver for the whole file.
import { execFile, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../shared/model.js';
import { Session } from './session.js';
import { ETCD_REVISION_METHOD } from './etcd-mode.js';
import { startEtcd } from './storage/etcd/process.js';
import { CONTEXTS, KUBE_APISERVER_MISSING_MESSAGE, findKubeApiserver, startTestApiserver, type TestApiserver } from './storage/kube/testing/apiserver.js';
import { endpointFromKubeconfig, endpointRequest, until, type KubeconfigEndpoint } from './storage/apiserver/testing.js';

const execFileP = promisify(execFile);
const bin = findKubeApiserver();
if (!bin) console.warn(`\n!!! kube mode Session tests SKIPPED: ${KUBE_APISERVER_MISSING_MESSAGE}\n`);
const d = bin ? describe : describe.skip;

type Endpoint = KubeconfigEndpoint;
const endpointOf = endpointFromKubeconfig;
const request = (ep: Endpoint, method: string, path: string, body?: unknown) => endpointRequest(ep, 'session.kube.test', method, path, body);

const names = (list: { json: Record<string, unknown> }) => ((list.json.items ?? []) as { metadata: { name: string } }[]).map((i) => i.metadata.name).sort();


d('Session in kube mode against a real kube-apiserver', () => {
  let api: TestApiserver;
  let session: Session;
  let ep: Endpoint;

  beforeAll(async () => {
    // etcd_object_counts is refreshed on this period (default 1 min): short, so a scrape soon after
    // connecting already carries object counts.
    api = await startTestApiserver({ extraArgs: ['--etcd-count-metric-poll-period=1s'] });
    await api.kubectl(['create', 'namespace', 'ws']);
    await api.kubectl(['create', 'configmap', 'before', '-n', 'ws', '--from-literal=k=v']);
    const pod = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', namespace: 'ws' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    await new Promise<void>((res, rej) => {
      const c = execFile('kubectl', ['--kubeconfig', api.kubeconfig, '--context', CONTEXTS.admin, 'create', '-f', '-'], (e) => (e ? rej(e) : res()));
      c.stdin!.end(pod);
    });
    session = new Session({ snapshotIntervalMs: 500 });
  }, 90_000);

  afterAll(async () => {
    await session?.close();
    await api?.stop();
  }, 30_000);

  const kubectlWs = async (...args: string[]) => (await execFileP('kubectl', ['--kubeconfig', ep.kubeconfig, ...args])).stdout;

  it('connects with the admin context; the profile comes from the cluster\'s /version (v1.20 → "1.20", ≤1.26 rules)', async () => {
    const st = await session.connect({ mode: 'kube', kubeconfig: api.kubeconfig, context: CONTEXTS.admin });
    expect(st.message).toBeUndefined();
    expect(st).toMatchObject({ state: 'connected', mode: 'kube', profile: '1.20', supportsRequestWatchProgress: false });
    expect(st.state === 'connected' && st.sourceVersion).toMatch(/^v1\.20\./);
    expect(st.state === 'connected' && st.target).toBe(`${CONTEXTS.admin} (${api.server})`);
    expect(session.profileName()).toBe('1.20');
    expect((await session.listProfiles()).current).toBe('1.20');
    ep = endpointOf(st.state === 'connected' ? st.kubeconfigPath! : '');
    // Every default resource this cluster serves gets a cacher (the admin may list and watch all).
    expect([...session.current!.backend.resources()].map((r) => r.resource).sort()).toEqual(['configmaps', 'deployments', 'leases', 'namespaces', 'nodes', 'pods', 'services']);
  });

  it('snapshots carry the cluster\'s own /metrics per resource, and say how the cluster revision is measured', async () => {
    // The first scrape runs right after connect; a snapshot then carries its table.
    await until(() => (session.snapshot()?.clusterMetrics?.resources.length ?? 0) > 0, 15_000, 'the first /metrics scrape');
    let cm = session.snapshot()!.clusterMetrics!;
    // A later scrape (every 15 s) carries the object counts once the apiserver has polled them.
    if (!(cm.resources.find((r) => r.resource === 'configmaps')?.values.storageObjects)) {
      const first = cm.scrapedAt;
      await until(() => (session.snapshot()?.clusterMetrics?.scrapedAt ?? 0) > first, 20_000, 'the second /metrics scrape');
      cm = session.snapshot()!.clusterMetrics!;
    }
    expect(cm.error).toBeUndefined();
    expect(cm.scrapedAt).toBeGreaterThan(Date.now() - 60_000);
    // 1.20 names: etcd_object_counts → storageObjects; apiserver_longrunning_gauge{verb="WATCH"} → watches.
    const byRes = new Map(cm.resources.map((r) => [r.resource, r.values]));
    expect(byRes.get('configmaps')?.storageObjects).toBeGreaterThanOrEqual(1);
    expect(byRes.get('namespaces')?.storageObjects).toBeGreaterThanOrEqual(4);
    // watchscope's own cacher watches each cached resource through this apiserver.
    expect(byRes.get('configmaps')?.watches).toBeGreaterThanOrEqual(1);
    // The resources watchscope caches come first (the cap of 64 never cuts them).
    expect(cm.resources[0]!.resource).toBe('pods');
    expect(cm.resources.length).toBeLessThanOrEqual(64);
    for (const r of cm.resources) expect(Object.keys(r.values).length).toBeLessThanOrEqual(32);
    // The revision the lag is measured against: a quorum LIST of namespaces (admin may list them).
    await until(() => (session.connection().revisionMethod ?? '').startsWith('consistent LIST'), 5_000, 'the first revision poll');
    expect(session.connection().revisionMethod).toBe('consistent LIST /api/v1/namespaces?limit=1 (list metadata.resourceVersion), every 1 s per cached resource, and watch bookmarks');
    expect(session.snapshot()!.connection.revisionMethod).toBe(session.connection().revisionMethod);
  });

  it('etcd mode: the revision method names the quorum range read, and there are no cluster /metrics', async () => {
    const etcd = await startEtcd();
    const s = new Session({ snapshotIntervalMs: 500 });
    try {
      const st = await s.connect({ mode: 'etcd', endpoints: [etcd.endpoint], resources: ['configmaps'] });
      expect(st.state).toBe('connected');
      expect(st.revisionMethod).toBe(ETCD_REVISION_METHOD);
      expect(s.connection().revisionMethod).toMatch(/^etcd header revision of a quorum range read/);
      expect(s.snapshot()!.clusterMetrics).toBeUndefined();
    } finally {
      await s.close();
      await etcd.stop();
    }
  });

  it('kubectl on watchscope\'s kubeconfig lists what is in the cluster, and the cache converges after writes', async () => {
    const pods = JSON.parse(await kubectlWs('get', 'pods', '-A', '-o', 'json')) as { items: { metadata: { name: string; namespace: string } }[] };
    expect(pods.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['ws/p1']);
    expect(await kubectlWs('get', 'configmaps', '-n', 'ws')).toMatch(/^before +1 +/m);

    const cached = () => request(ep, 'GET', '/api/v1/namespaces/ws/configmaps?resourceVersion=0');
    await until(async () => names(await cached()).includes('before'), 10_000, 'the cache to hold "before"');

    await api.kubectl(['create', 'configmap', 'after', '-n', 'ws', '--from-literal=k=1']);
    await api.kubectl(['label', 'configmap', 'before', '-n', 'ws', 'touched=yes']);
    await api.kubectl(['delete', 'pod', 'p1', '-n', 'ws', '--grace-period=0', '--force', '--wait=false']).catch(() => undefined);
    await until(async () => {
      const l = await cached();
      const before = ((l.json.items ?? []) as { metadata: { name: string; labels?: Record<string, string> } }[]).find((i) => i.metadata.name === 'before');
      return names(l).join(',') === 'after,before' && before?.metadata.labels?.touched === 'yes';
    }, 10_000, 'the cache to see the create and the label');
    await until(async () => names(await request(ep, 'GET', '/api/v1/pods?resourceVersion=0')).length === 0, 10_000, 'the pod delete to reach the cache');

    // The cache's RV follows the cluster's: an RV=0 list is never older than what we waited for.
    const real = JSON.parse(await api.kubectl(['get', 'configmap', 'after', '-n', 'ws', '-o', 'json'])) as { metadata: { resourceVersion: string } };
    expect(Number((await cached()).json.metadata && ((await cached()).json.metadata as { resourceVersion: string }).resourceVersion)).toBeGreaterThanOrEqual(Number(real.metadata.resourceVersion));
  });

  it('RV=0 LIST is served by the cache; a LIST without resourceVersion is delegated to the real apiserver', async () => {
    const since = (await session.getDecisions({ since: 0 })).lastDecisionId;
    const fromCache = await request(ep, 'GET', '/api/v1/namespaces/ws/configmaps?resourceVersion=0');
    const delegated = await request(ep, 'GET', '/api/v1/namespaces/ws/configmaps');
    expect(names(fromCache)).toEqual(['after', 'before']);
    expect(names(delegated)).toEqual(['after', 'before']);
    const ds = (await session.getDecisions({ since })).decisions.filter((x: Decision) => x.userAgent === 'session.kube.test');
    expect(ds).toHaveLength(2);
    expect(ds[0]).toMatchObject({ verb: 'list', resource: 'configmaps', namespace: 'ws', query: { resourceVersion: '0' }, servedBy: 'cache', reason: 'servedFromCache', profile: '1.20', status: 200 });
    // ≤1.30 has no consistent reads from the cache: a quorum list goes to storage, here the cluster.
    expect(ds[1]).toMatchObject({ verb: 'list', resource: 'configmaps', namespace: 'ws', servedBy: 'etcd', profile: '1.20', status: 200 });
    expect(ds[1]!.query.resourceVersion).toBeUndefined();
    expect(ds[1]!.reason).toBe('consistentReadFromStorage');

    // The same under the 1.27 profile chosen by hand (the oldest shipped release profile).
    await session.setProfile({ name: '1.27' });
    const mark = (await session.getDecisions({ since: 0 })).lastDecisionId;
    await request(ep, 'GET', '/api/v1/namespaces/ws/configmaps');
    await request(ep, 'GET', '/api/v1/namespaces/ws/configmaps?resourceVersion=0');
    const d27 = (await session.getDecisions({ since: mark })).decisions.filter((x: Decision) => x.userAgent === 'session.kube.test');
    expect(d27.map((x) => [x.profile, x.query.resourceVersion ?? '', x.servedBy, x.reason])).toEqual([
      ['1.27', '', 'etcd', 'consistentReadFromStorage'],
      ['1.27', '0', 'cache', 'servedFromCache'],
    ]);
    await session.setProfile({ name: '1.20' });
    // The delegated list carries the cluster's own list RV (at least the last write's).
    const realList = JSON.parse(await api.kubectl(['get', '--raw', '/api/v1/namespaces/ws/configmaps'])) as { metadata: { resourceVersion: string } };
    expect(Number((delegated.json.metadata as { resourceVersion: string }).resourceVersion)).toBeGreaterThan(0);
    expect(Number((delegated.json.metadata as { resourceVersion: string }).resourceVersion)).toBeLessThanOrEqual(Number(realList.metadata.resourceVersion));
  });

  it('writes through watchscope are refused with a clear 405 Status, and nothing reaches the cluster', async () => {
    const r = await request(ep, 'POST', '/api/v1/namespaces/ws/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'refused' } });
    expect(r.status).toBe(405);
    expect(r.json).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'MethodNotAllowed', code: 405 });
    expect(r.json.message).toMatch(/read-only: create on configmaps was not forwarded — reconnect with writes allowed/);
    const del = await request(ep, 'DELETE', '/api/v1/namespaces/ws/configmaps/before');
    expect(del.status).toBe(405);
    await expect(kubectlWs('create', 'configmap', 'refused2', '-n', 'ws')).rejects.toThrow(/MethodNotAllowed|not forwarded|405/);
    const real = JSON.parse(await api.kubectl(['get', 'configmaps', '-n', 'ws', '-o', 'json'])) as { items: { metadata: { name: string } }[] };
    expect(real.items.map((i) => i.metadata.name).sort()).toEqual(['after', 'before']);
  });

  it('an unreachable context fails within seconds with a clear message; the session then connects again', async () => {
    const t0 = Date.now();
    const st = await session.connect({ mode: 'kube', kubeconfig: api.kubeconfig, context: CONTEXTS.unreachable });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(st).toMatchObject({ state: 'failed', mode: 'kube', target: CONTEXTS.unreachable });
    expect(st.message).toMatch(/cannot reach https:\/\/127\.0\.0\.1:\d+: connection refused/);
    expect(session.current).toBeUndefined();

    const again = await session.connect({ mode: 'kube', kubeconfig: api.kubeconfig, context: CONTEXTS.token });
    expect(again).toMatchObject({ state: 'connected', profile: '1.20' });
    ep = endpointOf(again.state === 'connected' ? again.kubeconfigPath! : '');
    expect(names(await request(ep, 'GET', '/api/v1/namespaces/ws/configmaps'))).toEqual(['after', 'before']);
  });

  it('list-not-watch user: resources it cannot watch are named in the target and get no cacher (no retry loop)', async () => {
    // lister: list+watch configmaps and namespaces, list (no watch) secrets, nothing on pods.
    const st = await session.connect({ mode: 'kube', kubeconfig: api.kubeconfig, context: CONTEXTS.lister, resources: ['configmaps', 'secrets', 'pods'] });
    expect(st.state).toBe('connected');
    const target = st.state === 'connected' ? st.target : '';
    expect(target).toContain('not cached: ');
    expect(target).toContain('secrets (you may list it; caching needs list and watch)');
    expect(target).toContain('pods (you may neither list nor watch it; caching needs list and watch)');
    expect(session.current!.caches().map((c) => c.info().resource)).toEqual(['configmaps']);
    ep = endpointOf(st.state === 'connected' ? st.kubeconfigPath! : '');
    await until(async () => names(await request(ep, 'GET', '/api/v1/namespaces/ws/configmaps?resourceVersion=0')).length === 2, 10_000, 'lister cache ready');
    // Nothing keeps failing in the background: after a while the connection is still plainly connected.
    await new Promise((r) => setTimeout(r, 1500));
    expect(session.connection().state).toBe('connected');
    for (const c of session.current!.caches()) expect(c.info().lastError).toBeUndefined();

    // Only list-not-watch resources: nothing to cache is a clear failure, not a hang.
    const none = await session.connect({ mode: 'kube', kubeconfig: api.kubeconfig, context: CONTEXTS.lister, resources: ['secrets'] });
    expect(none.state).toBe('failed');
    expect(none.message).toMatch(/^Nothing to cache on https:\/\/127\.0\.0\.1:\d+: secrets \(you may list it; caching needs list and watch\)\.$/);
  });

  it('read-only viewer with allowWrites: the cluster\'s own 403 comes back; admin with allowWrites writes through', async () => {
    const writer = new Session({ allowWrites: true });
    try {
      const v = await writer.connect({ mode: 'kube', kubeconfig: api.kubeconfig, context: CONTEXTS.viewer, resources: ['configmaps'] });
      expect(v.state).toBe('connected');
      const vep = endpointOf(v.state === 'connected' ? v.kubeconfigPath! : '');
      const forbidden = await request(vep, 'POST', '/api/v1/namespaces/ws/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'by-viewer' } });
      expect(forbidden.status).toBe(403);
      expect(forbidden.json).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
      expect(forbidden.json.message).toContain('watchscope-viewer');
      // The viewer may not GET /metrics: the snapshot says so in one plain sentence.
      await until(() => writer.snapshot()?.clusterMetrics !== undefined, 15_000, 'the viewer\'s /metrics scrape');
      const cm = writer.snapshot()!.clusterMetrics!;
      expect(cm.error).toMatch(/^the cluster refuses \/metrics to user "watchscope-viewer"/);
      expect(cm.resources).toEqual([]);
      expect(writer.connection().state).toBe('connected');

      const a = await writer.connect({ mode: 'kube', kubeconfig: api.kubeconfig, context: CONTEXTS.admin, resources: ['configmaps'] });
      expect(a.state).toBe('connected');
      const aep = endpointOf(a.state === 'connected' ? a.kubeconfigPath! : '');
      const created = await request(aep, 'POST', '/api/v1/namespaces/ws/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'written' }, data: { via: 'watchscope' } });
      expect(created.status).toBe(201);
      const real = JSON.parse(await api.kubectl(['get', 'configmap', 'written', '-n', 'ws', '-o', 'json'])) as { data: Record<string, string>; metadata: { resourceVersion: string } };
      expect(real.data).toEqual({ via: 'watchscope' });
      expect((created.json.metadata as { resourceVersion: string }).resourceVersion).toBe(real.metadata.resourceVersion);
      const ds = (await writer.getDecisions({ since: 0 })).decisions.filter((x) => x.verb === 'create');
      expect(ds.at(-1)).toMatchObject({ resource: 'configmaps', servedBy: 'etcd', reason: 'writeToStorage', status: 201 });
    } finally {
      await writer.close();
    }
  });

  it('CLI: `contexts` lists the kubeconfig\'s contexts; `serve --kubeconfig --context` serves the cluster until SIGINT', async () => {
    const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
    const cli = (args: string[]) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'main/cli.ts'), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
      const done = new Promise<number | null>((r) => child.on('exit', (c) => (clearTimeout(killer), r(c))));
      return { child, done, stdout: () => stdout, stderr: () => stderr };
    };
    const ctxs = cli(['contexts', '--kubeconfig', api.kubeconfig]);
    expect(await ctxs.done).toBe(0);
    for (const c of Object.values(CONTEXTS)) expect(ctxs.stdout()).toMatch(new RegExp(`^[* ] ${c} `, 'm'));
    expect(ctxs.stdout()).toMatch(new RegExp(`^\\* ${CONTEXTS.admin} +${api.server.replace(/[.]/g, '\\.')} +\\(user admin\\)$`, 'm'));

    const serve = cli(['serve', '--kubeconfig', api.kubeconfig, '--context', CONTEXTS.viewer, '--resources', 'configmaps']);
    await until(() => serve.stdout().includes('ready (Ctrl-C to stop)') || serve.child.exitCode !== null, 30_000, 'serve --kubeconfig to be ready');
    expect(serve.stderr()).toBe('');
    expect(serve.stdout()).toMatch(/^profile: 1\.20$/m);
    expect(serve.stdout()).toContain(`source: kube ${CONTEXTS.viewer} (${api.server}) (v1.20.`);
    const kubeconfig = /^kubeconfig: (\S+)$/m.exec(serve.stdout())![1]!;
    const listed = JSON.parse((await execFileP('kubectl', ['--kubeconfig', kubeconfig, 'get', 'configmaps', '-n', 'ws', '-o', 'json'])).stdout) as { items: { metadata: { name: string } }[] };
    expect(listed.items.map((i) => i.metadata.name)).toContain('before');
    serve.child.kill('SIGINT');
    expect(await serve.done).toBe(0);
    expect(serve.stdout()).toMatch(/stopped\n$/);
  });
});
