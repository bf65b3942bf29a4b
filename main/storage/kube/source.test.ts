// Kube mode against a real kube-apiserver (v1.20.2 built by scripts/build-kube-apiserver.sh) on a
// real etcd: every auth method, list+watch convergence under kubectl writes, relist after a 410,
// RBAC refusals, clear connection failures, the forwarding store, /metrics, and the same etcd
// read back in etcd mode.
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../object.js';
import type { SourceEvent, SourceWatchEnd } from '../source.js';
import { StatusError } from '../errors.js';
import { EtcdSource } from '../etcd/source.js';
import { EtcdClient, credentialsFor, parseEndpoint } from '../etcd/client.js';
import { freePort } from '../etcd/process.js';
import { KubeSource } from './source.js';
import { KubeStore } from './store.js';
import { KubeError } from './errors.js';
import { scrapeStorageMetrics } from './metrics.js';
import { resetLoginShellPathCache } from './shell-path.js';
import { CONTEXTS, KUBE_APISERVER_MISSING_MESSAGE, findKubeApiserver, startTestApiserver, type TestApiserver } from './testing/apiserver.js';

const bin = findKubeApiserver();
if (!bin) console.warn(`\n!!! kube mode integration tests SKIPPED: ${KUBE_APISERVER_MISSING_MESSAGE}\n`);
const d = bin ? describe : describe.skip;

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: ['list', 'watch'] };
const PODTEMPLATES = { group: '', version: 'v1', resource: 'podtemplates', kind: 'PodTemplate', namespaced: true, verbs: ['list', 'watch'] };

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** name → resourceVersion, as kubectl sees it. */
async function kubectlState(api: TestApiserver, resource: string, ns: string): Promise<Map<string, { rv: number; labels: Record<string, string> }>> {
  const list = JSON.parse(await api.kubectl(['get', resource, '-n', ns, '-o', 'json'])) as { items: KubeObject[] };
  return new Map(list.items.map((o) => [o.metadata.name, { rv: Number(o.metadata.resourceVersion), labels: o.metadata.labels ?? {} }]));
}

const podTemplate = (name: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'PodTemplate', metadata: { name, namespace: 'ws' }, template: { spec: { containers: [{ name: 'c', image: 'x' }] } } });

d('KubeSource against a real kube-apiserver', () => {
  let api: TestApiserver;
  let admin: KubeSource;
  const oldShell = process.env.SHELL;

  beforeAll(async () => {
    api = await startTestApiserver();
    await api.kubectl(['create', 'namespace', 'ws']);
    admin = await KubeSource.connect({ kubeconfig: api.kubeconfig, context: CONTEXTS.admin, listPageSize: 3 });
  }, 90_000);

  afterAll(async () => {
    process.env.SHELL = oldShell;
    resetLoginShellPathCache();
    await admin?.close();
    await api?.stop();
  }, 30_000);

  it('connects with client certs, tokens, a token file, an exec plugin (found via the login-shell PATH), read-only users', async () => {
    // The plugin's directory is only on the fake login shell's PATH, as for a desktop launch.
    process.env.SHELL = api.fakeLoginShell;
    resetLoginShellPathCache();
    for (const context of [CONTEXTS.admin, CONTEXTS.token, CONTEXTS.tokenFile, CONTEXTS.exec, CONTEXTS.viewer, CONTEXTS.lister]) {
      const s = await KubeSource.connect({ kubeconfig: api.kubeconfig, context });
      expect(s.info()).toMatchObject({ kind: 'kube', supportsRequestWatchProgress: false, endpoints: [api.server] });
      expect(s.info().version).toMatch(/^v1\.20\./);
      // A list proves the credentials were accepted (anonymous would be 401/403).
      const l = await s.list('/registry/configmaps/');
      expect(l.resourceVersion).toBeGreaterThan(0);
      await s.close();
    }
  }, 60_000);

  it.each([
    [CONTEXTS.unreachable, 'unreachable', /cannot reach https:\/\/127\.0\.0\.1:\d+: connection refused — is the cluster up \/ is this the right context\?/],
    [CONTEXTS.wrongCA, 'tls', /not signed by the kubeconfig's certificate-authority/],
    [CONTEXTS.wrongHost, 'tls', /not valid for this host name/],
    [CONTEXTS.badToken, 'unauthorized', /rejected the credentials of user "bad-token".*run your login command \/ refresh the token/],
    [CONTEXTS.execMissing, 'execPluginMissing', /exec plugin 'watchscope-no-such-auth-plugin' not found on PATH \(login-shell PATH was used\)/],
    [CONTEXTS.execFailing, 'execPluginFailed', /exec plugin '.*failing-auth' failed: error: the refresh token has expired, run: login --again/],
    [CONTEXTS.execHanging, 'execPluginFailed', /exec plugin '.*hanging-auth' failed: it did not finish within 3s \(is it waiting for an interactive login\?\)/],
  ])('context %s fails within seconds as %s with a clear message', async (context, kind, re) => {
    const t0 = Date.now();
    const err = await KubeSource.connect({ kubeconfig: api.kubeconfig, context, timeoutMs: 3000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).kind).toBe(kind);
    expect((err as KubeError).message).toMatch(re);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('paginated LIST + WATCH converge with the apiserver under kubectl writes', async () => {
    for (let i = 0; i < 7; i++) await api.kubectl(['create', 'configmap', `cm-${i}`, '-n', 'ws', `--from-literal=k=${i}`]);
    const prefix = '/registry/configmaps/';
    const listed = await admin.list(prefix);
    // page size 3: 7 objects need continue pages; all must come back, in key order.
    const ws = listed.items.filter((o) => o.object.metadata.namespace === 'ws');
    expect(ws.map((o) => o.object.metadata.name)).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6']);
    expect(listed.items.map((o) => o.key)).toEqual([...listed.items.map((o) => o.key)].sort());
    expect(ws[0]!.key).toBe('/registry/configmaps/ws/cm-0');
    expect(ws[0]!.object.kind).toBe('ConfigMap');
    expect(ws[0]!.resourceVersion).toBe(Number(ws[0]!.object.metadata.resourceVersion));

    const state = new Map(ws.map((o) => [o.object.metadata.name, { rv: o.resourceVersion, labels: o.object.metadata.labels ?? {} }]));
    const events: SourceEvent[] = [];
    let ended: SourceWatchEnd | undefined;
    const w = admin.watch(prefix, listed.resourceVersion, {
      onEvents: (evs) => {
        for (const e of evs) {
          events.push(e);
          if (e.object.object.metadata.namespace !== 'ws') continue;
          if (e.type === 'DELETED') state.delete(e.object.object.metadata.name);
          else state.set(e.object.object.metadata.name, { rv: e.resourceVersion, labels: e.object.object.metadata.labels ?? {} });
        }
      },
      onProgress: () => undefined,
      onEnd: (e) => (ended = e),
    });
    await api.kubectl(['label', 'configmap', 'cm-1', '-n', 'ws', 'tier=gold']);
    await api.kubectl(['delete', 'configmap', 'cm-2', '-n', 'ws']);
    await api.kubectl(['create', 'configmap', 'cm-new', '-n', 'ws']);
    await api.kubectl(['annotate', 'configmap', 'cm-3', '-n', 'ws', 'a=b']);
    const truth = await kubectlState(api, 'configmaps', 'ws');
    await until(() => JSON.stringify([...state].sort()) === JSON.stringify([...truth].sort()), 10_000, 'watch to converge');
    expect(state.get('cm-1')?.labels).toEqual({ tier: 'gold' });
    expect(events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED', 'ADDED', 'MODIFIED']);
    // revisions strictly increase; a DELETED carries the delete's revision
    const rvs = events.map((e) => e.resourceVersion);
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
    expect(new Set(rvs).size).toBe(rvs.length);
    expect(rvs[0]).toBeGreaterThan(listed.resourceVersion);
    w.stop();
    expect(ended?.reason).toBe('stopped');
  }, 60_000);

  it('a watch the server ends at its timeoutSeconds is renewed transparently from the last RV', async () => {
    // Bookmarks (BOOKMARK → onProgress) are covered by watch-protocol.test.ts: 1.20 sends them
    // only to watches whose request context has a deadline, which its WATCH handler never sets.
    const src = await KubeSource.connect({ kubeconfig: api.kubeconfig, context: CONTEXTS.admin, watchTimeoutSeconds: 2 });
    const prefix = '/registry/configmaps/';
    const l = await src.list(prefix);
    const seen: SourceEvent[] = [];
    let end: SourceWatchEnd | undefined;
    let retries = 0;
    const w = src.watch(prefix, l.resourceVersion, {
      onEvents: (e) => seen.push(...e),
      onProgress: () => undefined,
      onEnd: (e) => (end = e),
      onReconnecting: () => retries++,
    });
    await api.kubectl(['create', 'configmap', 'before-renewal', '-n', 'ws']);
    await new Promise((r) => setTimeout(r, 2500)); // past the first watch's timeout
    await api.kubectl(['create', 'configmap', 'after-renewal', '-n', 'ws']);
    await until(() => seen.some((e) => e.object.object.metadata.name === 'after-renewal'), 8000, 'an event on the renewed watch');
    expect(seen.map((e) => e.object.object.metadata.name)).toEqual(['before-renewal', 'after-renewal']);
    expect(end).toBeUndefined();
    expect(retries).toBe(0);
    w.stop();
    await src.close();
  }, 30_000);

  it('currentRevision is a consistent LIST rv that tracks writes', async () => {
    const before = await admin.currentRevision('/registry/configmaps/');
    expect(admin.revisionMethod).toContain('/api/v1/namespaces?limit=1');
    const out = JSON.parse(await api.kubectl(['create', 'configmap', 'rev-probe', '-n', 'ws', '-o', 'json'])) as KubeObject;
    const after = await admin.currentRevision('/registry/configmaps/');
    expect(after).toBeGreaterThanOrEqual(Number(out.metadata.resourceVersion));
    expect(after).toBeGreaterThan(before);
  }, 30_000);

  it('a watch from a compacted revision ends with compacted (410) and a relist recovers', async () => {
    const prefix = '/registry/podtemplates/';
    admin.register(PODTEMPLATES, prefix);
    for (let i = 0; i < 3; i++) {
      const f = join(api.dir, `pt-${i}.json`);
      writeFileSync(f, podTemplate(`pt-${i}`));
      await api.kubectl(['create', '-f', f]);
    }
    const first = await admin.list(prefix);
    expect(first.items.map((o) => o.object.metadata.name)).toEqual(['pt-0', 'pt-1', 'pt-2']);
    await api.kubectl(['label', 'podtemplate', 'pt-0', '-n', 'ws', 'x=1']);
    await api.kubectl(['label', 'podtemplate', 'pt-1', '-n', 'ws', 'x=1']);
    // The project's own etcd client, not etcdctl: Debian's etcd-server package does not ship it.
    const ep = parseEndpoint(api.etcd.endpoint, false);
    const etcd = new EtcdClient(ep, credentialsFor({ endpoints: [api.etcd.endpoint] }, ep));
    let rev: number;
    try {
      rev = Number((await etcd.status(5_000)).header.revision);
      await etcd.compact(rev);
    } finally {
      etcd.close();
    }

    let ended: SourceWatchEnd | undefined;
    let reconnects = 0;
    admin.watch(prefix, first.resourceVersion, {
      onEvents: () => undefined,
      onProgress: () => undefined,
      onEnd: (e) => (ended = e),
      onReconnecting: () => reconnects++,
    });
    await until(() => !!ended, 10_000, 'the watch to end');
    expect(ended).toMatchObject({ reason: 'compacted' });
    expect(reconnects).toBe(0);

    // What the cacher does next: relist, then watch from the new list's RV.
    const again = await admin.list(prefix);
    expect(again.resourceVersion).toBeGreaterThanOrEqual(rev);
    expect(again.items.find((o) => o.object.metadata.name === 'pt-1')?.object.metadata.labels).toEqual({ x: '1' });
    const seen: SourceEvent[] = [];
    const w = admin.watch(prefix, again.resourceVersion, { onEvents: (e) => seen.push(...e), onProgress: () => undefined, onEnd: () => undefined });
    await api.kubectl(['delete', 'podtemplate', 'pt-2', '-n', 'ws']);
    await until(() => seen.length === 1, 10_000, 'the DELETED event');
    expect(seen[0]).toMatchObject({ type: 'DELETED', key: '/registry/podtemplates/ws/pt-2' });
    w.stop();
  }, 60_000);

  it('a user who may list but not watch gets one clear end, not endless retries', async () => {
    const lister = await KubeSource.connect({ kubeconfig: api.kubeconfig, context: CONTEXTS.lister });
    await api.kubectl(['create', 'secret', 'generic', 's1', '-n', 'ws', '--from-literal=a=b']);
    const l = await lister.list('/registry/secrets/');
    expect(l.items.some((o) => o.object.metadata.name === 's1')).toBe(true);
    let ends = 0;
    let end: SourceWatchEnd | undefined;
    let reconnects = 0;
    const t0 = Date.now();
    lister.watch('/registry/secrets/', l.resourceVersion, {
      onEvents: () => undefined,
      onProgress: () => undefined,
      onEnd: (e) => {
        ends++;
        end = e;
      },
      onReconnecting: () => reconnects++,
    });
    await until(() => ends > 0, 5000, 'the forbidden watch to end');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(end).toMatchObject({ reason: 'error' });
    expect(end!.message).toMatch(/user "watchscope-lister" may list but not watch secrets/);
    await new Promise((r) => setTimeout(r, 1500));
    expect(ends).toBe(1);
    expect(reconnects).toBe(0);

    const found = await lister.discoverResources();
    const secrets = found.find((r) => r.resource === 'secrets' && r.group === '')!;
    const cms = found.find((r) => r.resource === 'configmaps' && r.group === '')!;
    expect(secrets).toMatchObject({ canList: true, canWatch: false, defaultSelected: false });
    expect(cms).toMatchObject({ canList: true, canWatch: true, defaultSelected: true });
    expect(found.find((r) => r.resource === 'pods')).toMatchObject({ canList: false, defaultSelected: false });
    expect(found.find((r) => r.resource === 'deployments')?.group).toBe('apps');
    await lister.close();
  }, 30_000);

  it('KubeStore forwards LIST parameters and relays Status; writes refused unless allowed', async () => {
    const ro = new KubeStore(admin.client, CONFIGMAPS);
    const p1 = await ro.getList({ namespace: 'ws', limit: 2 });
    expect(p1.items).toHaveLength(2);
    expect(p1.continue).toBeTruthy();
    expect(p1.remainingItemCount).toBeGreaterThan(0);
    const p2 = await ro.getList({ namespace: 'ws', limit: 2, continue: p1.continue! });
    expect(p2.resourceVersion).toBe(p1.resourceVersion);
    expect(p2.items[0]!.metadata.name > p1.items[1]!.metadata.name).toBe(true);
    const sel = await ro.getList({ namespace: 'ws', labelSelector: 'tier=gold' });
    expect(sel.items.map((o) => o.metadata.name)).toEqual(['cm-1']);
    const byName = await ro.getList({ namespace: 'ws', fieldSelector: 'metadata.name=cm-3' });
    expect(byName.items.map((o) => o.metadata.name)).toEqual(['cm-3']);
    expect((await ro.get('ws', 'cm-3')).metadata.annotations).toEqual({ a: 'b' });

    const nf = await ro.get('ws', 'nope').catch((e: unknown) => e);
    expect(nf).toBeInstanceOf(StatusError);
    expect((nf as StatusError).toStatus()).toMatchObject({ code: 404, reason: 'NotFound', message: 'configmaps "nope" not found' });
    const gone = await ro.getList({ namespace: 'ws', continue: 'garbage' }).catch((e: unknown) => e);
    expect((gone as StatusError).code).toBe(400);

    const refused = await ro.create('ws', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w1' } }).catch((e: unknown) => e);
    expect((refused as StatusError).toStatus()).toMatchObject({ code: 405, reason: 'MethodNotAllowed' });
    expect((refused as StatusError).message).toMatch(/read-only: create on configmaps was not forwarded/);
    expect((await kubectlState(api, 'configmaps', 'ws')).has('w1')).toBe(false);

    const rw = new KubeStore(admin.client, CONFIGMAPS, { allowWrites: true });
    const created = await rw.create('ws', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w1' }, data: { a: '1' } });
    const updated = await rw.update('ws', 'w1', { ...created, data: { a: '2' } });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    const conflict = await rw.update('ws', 'w1', { ...created, data: { a: '3' } }).catch((e: unknown) => e);
    expect((conflict as StatusError).toStatus()).toMatchObject({ code: 409, reason: 'Conflict' });
    await rw.delete('ws', 'w1');
    expect((await kubectlState(api, 'configmaps', 'ws')).has('w1')).toBe(false);

    const viewer = await KubeSource.connect({ kubeconfig: api.kubeconfig, context: CONTEXTS.viewer });
    const vw = new KubeStore(viewer.client, CONFIGMAPS, { allowWrites: true });
    const denied = await vw.create('ws', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w2' } }).catch((e: unknown) => e);
    expect((denied as StatusError).toStatus()).toMatchObject({ code: 403, reason: 'Forbidden' });
  }, 60_000);

  it('scrapes /metrics for the storage-layer series; a refusal names the user', async () => {
    const w = admin.watch('/registry/configmaps/', await admin.currentRevision('/registry/configmaps/'), {
      onEvents: () => undefined,
      onProgress: () => undefined,
      onEnd: () => undefined,
    });
    let m = await scrapeStorageMetrics(admin.client);
    // the WATCH gauge counts a request once the server started serving it
    for (let i = 0; i < 40 && !(m.resources.find((r) => r.resource === 'configmaps')?.watches! >= 1); i++) {
      await new Promise((r) => setTimeout(r, 50));
      m = await scrapeStorageMetrics(admin.client);
    }
    w.stop();
    // 1.20 exposes these names (the watch_cache_* series arrived in later releases)
    expect(m.seriesSeen).toEqual(expect.arrayContaining(['apiserver_longrunning_gauge', 'etcd_object_counts']));
    const cms = m.resources.find((r) => r.resource === 'configmaps');
    expect(cms?.watches).toBeGreaterThanOrEqual(1);
    expect(typeof cms?.storageObjects).toBe('number');
    const viewer = await KubeSource.connect({ kubeconfig: api.kubeconfig, context: CONTEXTS.viewer });
    const err = await scrapeStorageMetrics(viewer.client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).message).toMatch(/^the cluster refuses \/metrics to user "watchscope-viewer"/);
  }, 30_000);

  it('a dropped connection is retried with backoff and the watch resumes without a gap', async () => {
    // A TCP proxy in front of the apiserver stands in for a flaky network: cutting it drops the
    // watch's connection and refuses new ones until it is restored.
    const target = new URL(api.server);
    const port = await freePort();
    const sockets = new Set<Socket>();
    let proxy: Server | undefined;
    const listen = () =>
      new Promise<void>((res) => {
        proxy = createServer((c) => {
          const up = connect(Number(target.port), target.hostname);
          sockets.add(c).add(up);
          c.pipe(up).pipe(c);
          const close = () => (c.destroy(), up.destroy());
          c.on('error', close).on('close', close);
          up.on('error', close).on('close', close);
        }).listen(port, '127.0.0.1', () => res());
      });
    const cut = () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        sockets.clear();
        proxy!.close(() => res());
      });
    await listen();
    const kc = join(api.dir, 'kubeconfig-proxy');
    writeFileSync(kc, readFileSync(api.kubeconfig, 'utf8').replaceAll(`server: ${api.server}`, `server: https://127.0.0.1:${port}`));
    const src = await KubeSource.connect({ kubeconfig: kc, context: CONTEXTS.admin, maxRetryDelayMs: 1000 });
    try {
      const prefix = '/registry/configmaps/';
      const l = await src.list(prefix);
      const retries: { attempt: number; error: string; retryInMs: number }[] = [];
      let reconnected = 0;
      let end: SourceWatchEnd | undefined;
      const seen: SourceEvent[] = [];
      const w = src.watch(prefix, l.resourceVersion, {
        onEvents: (e) => seen.push(...e),
        onProgress: () => undefined,
        onEnd: (e) => (end = e),
        onReconnecting: (i) => retries.push(i),
        onReconnected: () => reconnected++,
      });
      await api.kubectl(['create', 'configmap', 'before-cut', '-n', 'ws']);
      await until(() => seen.some((e) => e.object.object.metadata.name === 'before-cut'), 10_000, 'event before the cut');
      await cut();
      // written while the watch is disconnected: must arrive after the resume
      await api.kubectl(['create', 'configmap', 'during-cut', '-n', 'ws']);
      await until(() => retries.length >= 3, 10_000, 'reconnect attempts');
      expect(retries.map((r) => r.attempt).slice(0, 3)).toEqual([1, 2, 3]);
      expect(retries[2]!.error).toMatch(/connection refused — is the cluster up \/ is this the right context\?/);
      expect(retries.every((r) => r.retryInMs <= 1200)).toBe(true);
      await listen();
      await until(() => reconnected > 0, 5000, 'the watch to reconnect');
      await until(() => seen.some((e) => e.object.object.metadata.name === 'during-cut'), 5000, 'the event written during the cut');
      expect(end).toBeUndefined();
      expect(seen.filter((e) => e.object.object.metadata.name === 'before-cut')).toHaveLength(1);
      w.stop();
    } finally {
      await src.close();
      await cut();
    }
  }, 60_000);

  it('etcd mode on the same etcd decodes what the apiserver wrote (protobuf) to what kubectl shows', async () => {
    const etcd = await EtcdSource.connect({ endpoints: [api.etcd.endpoint] });
    try {
      const fromEtcd = await etcd.list('/registry/configmaps/');
      const viaApi = JSON.parse(await api.kubectl(['get', 'configmaps', '-A', '-o', 'json'])) as { items: KubeObject[] };
      const pick = (o: KubeObject, rv: string | number) => ({
        name: o.metadata.name,
        namespace: o.metadata.namespace,
        labels: o.metadata.labels ?? {},
        uid: o.metadata.uid,
        rv: String(rv),
      });
      expect(fromEtcd.items.every((o) => o.encoding === 'protobuf')).toBe(true);
      expect(fromEtcd.items.map((o) => pick(o.object, o.resourceVersion))).toEqual(viaApi.items.map((o) => pick(o, o.metadata.resourceVersion!)));
      // and kube mode keys the same objects identically
      const fromKube = await admin.list('/registry/configmaps/');
      expect(fromKube.items.map((o) => [o.key, o.resourceVersion])).toEqual(fromEtcd.items.map((o) => [o.key, o.resourceVersion]));
    } finally {
      await etcd.close();
    }
  }, 30_000);
});
