// The cluster's own cacher beside the model, on real kube-apiservers: v1.36 on etcd 3.5.16 (which
// it trusts with RequestWatchProgress) and on etcd 3.4.23 (which it does not), and v1.20 (which
// lacks most watch-cache series). A Session connects in kube mode; what the model learned and what
// the Cluster view shows are read through the session and checked against the snapshot contract
// (shared/model.ts) and against the cluster's own /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Snapshot, type ClusterMetrics, type ConnectionState } from '../shared/model.js';
import { Session } from './session.js';
import { findEtcdBinary, startEtcd, type EtcdProcess } from './storage/etcd/process.js';
import { parsePrometheusText, summarizeStorageMetrics } from './storage/kube/metrics.js';
import { ETCD_35_MISSING_MESSAGE, KUBE_136_MISSING_MESSAGE, findEtcd35, findKubeApiserver136, startKube136, type RealApiserver } from './storage/kube/testing/kube-1.36.js';
import { CONTEXTS, KUBE_APISERVER_MISSING_MESSAGE, findKubeApiserver, startTestApiserver, type TestApiserver } from './storage/kube/testing/apiserver.js';
import { endpointFromKubeconfig, endpointRequest, until } from './storage/apiserver/testing.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

const kube136 = findKubeApiserver136();
const etcd35 = findEtcd35();
const etcd34 = findEtcdBinary();
const kube120 = findKubeApiserver();
for (const [ok, msg] of [
  [kube136, KUBE_136_MISSING_MESSAGE],
  [etcd35, ETCD_35_MISSING_MESSAGE],
  [etcd34, 'etcd 3.4 not found on PATH'],
  [kube120, KUBE_APISERVER_MISSING_MESSAGE],
] as const) {
  if (!ok) console.warn(`\n!!! cluster-cacher tests SKIPPED in part: ${msg}\n`);
}

const connected = (st: ConnectionState) => {
  if (st.state !== 'connected') throw new Error(`not connected: ${JSON.stringify(st)}`);
  return st;
};

/** Polls the live table until `pred` holds for the latest scrape (the 1 s period of these tests). */
async function scrapeWhere(session: Session, pred: (m: ClusterMetrics) => boolean, what: string, ms = 30_000): Promise<ClusterMetrics> {
  let found: ClusterMetrics | undefined;
  await until(() => {
    const m = session.current?.clusterMetrics?.();
    if (m && pred(m)) found = m;
    return found !== undefined;
  }, ms, what);
  return found!;
}

/** A read-only user with no nonResourceURLs: it may list and watch everything but not GET /metrics. */
async function bindViewer(kubeconfig: string): Promise<void> {
  const k = (args: string[], input?: string) =>
    new Promise<void>((res, rej) => {
      const c = execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], (e, _o, err) => (e ? rej(new Error(err || e.message)) : res()));
      if (input !== undefined) c.stdin!.end(input);
    });
  await k(['create', 'clusterrole', 'ws-reader', '--verb=get,list,watch', '--resource=*.*']);
  await k(['create', 'clusterrolebinding', 'ws-reader', '--clusterrole=ws-reader', '--user=test-viewer']);
}

const d136 = (bin: string | undefined) => (kube136 && bin ? describe : describe.skip);

for (const c of [
  { etcd: '3.5.16', bin: etcd35, trusted: true, gates: [] as string[] },
  // One gate set away from its default on this server: the model must take it from the cluster.
  { etcd: '3.4.23', bin: etcd34, trusted: false, gates: ['--feature-gates=ListFromCacheSnapshot=false'] },
]) {
  d136(c.bin)(`kube-apiserver v1.36 on etcd ${c.etcd}`, () => {
    let etcd: EtcdProcess;
    let api: RealApiserver;
    let session: Session;
    let st: ConnectionState;
    const kubectl = async (...args: string[]) => (await run('kubectl', ['--kubeconfig', api.kubeconfig, ...args], { maxBuffer: 1 << 28 })).stdout;

    beforeAll(async () => {
      etcd = await startEtcd({ bin: c.bin! });
      api = await startKube136(etcd.endpoint, c.gates);
      await kubectl('create', 'namespace', 'ws');
      await bindViewer(api.kubeconfig);
      session = new Session({ snapshotIntervalMs: 300, clusterMetricsIntervalMs: 1000 });
      st = connected(await session.connect({ mode: 'kube', kubeconfig: api.kubeconfig, context: 'admin-token', resources: ['configmaps', 'namespaces', 'pods'] }));
    }, 120_000);

    afterAll(async () => {
      await session?.close();
      await api?.stop();
      await etcd?.stop();
    }, 30_000);

    it(`learns the progress trust from one consistent LIST: ${c.trusted ? 'trusted' : 'not trusted'}`, () => {
      const m = st.clusterModel!;
      expect(m.from).toBe('metrics');
      expect(m.assumed).toBeUndefined();
      expect(m.progressTrusted).toBe(c.trusted);
      expect(st.supportsRequestWatchProgress).toBe(c.trusted);
      if (c.trusted) {
        expect(m.progressHow).toMatch(/^one consistent LIST \/api\/v1\/namespaces\?limit=1 moved apiserver_watch_cache_consistent_read_total\{resource="namespaces"\} from (absent|\d+) to \d+: the cluster served it from its watch cache/);
      } else {
        // etcd 3.4.23 < 3.4.31: the cluster sends consistent LISTs to etcd and never counts one.
        expect(m.progressHow).toMatch(/^one consistent LIST \/api\/v1\/namespaces\?limit=1 left apiserver_watch_cache_consistent_read_total\{resource="namespaces"\} absent: the cluster sent it to etcd/);
      }
    });

    it('takes the cluster\'s feature gates from kubernetes_feature_enabled', async () => {
      const m = st.clusterModel!;
      expect(m.gatesHow).toMatch(/^kubernetes_feature_enabled on \/metrics \(\d+ gates\)$/);
      const real = summarizeStorageMetrics(parsePrometheusText(await kubectl('get', '--raw', '/metrics'))).features;
      const profile = (await session.listProfiles()).profiles.find((p) => p.name === st.profile)!;
      expect(st.profile).toBe('1.34');
      for (const g of m.gates) {
        if (real[g.name]) expect(g.cluster).toBe(real[g.name]!.enabled);
        else expect(g.cluster).toBeUndefined();
        expect(g.profile).toBe(profile.gates[g.name]);
        if (g.cluster !== undefined && g.note === undefined) expect(profile.gates[g.name]).toBe(g.cluster);
      }
      const snapshot = m.gates.find((g) => g.name === 'ListFromCacheSnapshot')!;
      expect(snapshot.cluster).toBe(c.gates.length === 0);
      expect(profile.gates.ListFromCacheSnapshot).toBe(c.gates.length === 0);
      expect(m.gates.find((g) => g.name === 'ConsistentListFromCache')).toMatchObject({ cluster: true, stage: 'GA', profile: true });
    });

    it('a profile chosen by hand: the cluster\'s own release keeps its learned gates, another release is a what-if at its defaults', async () => {
      const gate = async () => (await session.listProfiles()).profiles.find((p) => p.name === (session.profileName()))!.gates.ListFromCacheSnapshot;
      try {
        await session.setProfile({ name: '1.31' });
        // ListFromCacheSnapshot came in 1.33: the 1.31 what-if does not have it on.
        expect(await gate()).toBe(false);
        await session.setProfile({ name: '1.34' });
        expect(await gate()).toBe(c.gates.length === 0);
      } finally {
        await session.setProfile({ name: '1.34' });
      }
    });

    it(`the model routes a consistent LIST as the cluster does: ${c.trusted ? 'to the watch cache' : 'to etcd'}`, async () => {
      const ep = endpointFromKubeconfig(st.kubeconfigPath!);
      await until(async () => (await endpointRequest(ep, 'cc', 'GET', '/api/v1/namespaces?resourceVersion=0')).status === 200, 20_000, 'the cache to be ready');
      const since = (await session.getDecisions({ since: 0 })).lastDecisionId;
      const r = await endpointRequest(ep, 'cluster-cacher.test', 'GET', '/api/v1/namespaces');
      expect(r.status).toBe(200);
      const ds = (await session.getDecisions({ since })).decisions.filter((x) => x.userAgent === 'cluster-cacher.test');
      expect(ds).toHaveLength(1);
      if (c.trusted) {
        // Decided as a consistent read from the cache. The embedded cache then waits for the cluster's
        // revision; the watch API has no progress request, so an idle resource may fall back after 3 s.
        expect(ds[0]!.reason).not.toBe('consistentReadFromStorage');
        expect(ds[0]!.detail).toMatch(/^Consistent read from the cache: .* was at revision \d+\./);
      } else {
        expect(ds[0]).toMatchObject({ servedBy: 'etcd', reason: 'consistentReadFromStorage' });
      }
    }, 30_000);

    it('the cluster view: rates between scrapes, series present or "no sample yet" (never "not in version"), all within the snapshot contract', async () => {
      // Writes between two scrapes: the configmaps' events-received rate must be their increase over the window.
      const base = await scrapeWhere(session, (m) => m.resources.some((r) => r.resource === 'configmaps' && r.values.eventsReceived !== undefined), 'a scrape with configmaps');
      const received = (m: ClusterMetrics) => m.resources.find((r) => r.resource === 'configmaps')?.values.eventsReceived ?? 0;
      for (let i = 0; i < 5; i++) await kubectl('create', 'configmap', `cm-${i}`, '-n', 'ws');
      const first = base.scrapedAt;
      // Every scrape is seen (polled at 50 ms, scraped every 1 s), so `prev` is the one before `cur`.
      let prev = base;
      let cur: ClusterMetrics | undefined;
      const end = Date.now() + 30_000;
      while (!cur && Date.now() < end) {
        const m = session.current!.clusterMetrics!()!;
        if (m.scrapedAt !== prev.scrapedAt) {
          if (received(m) >= received(base) + 5 && received(m) > received(prev)) cur = m;
          else prev = m;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      if (!cur) throw new Error('no scrape saw the five creates');
      expect(cur!.scrapedAt).toBeGreaterThan(first);
      const a = prev.resources.find((r) => r.resource === 'configmaps')!;
      const b = cur!.resources.find((r) => r.resource === 'configmaps')!;
      expect(cur!.rateWindowS).toBeCloseTo((cur!.scrapedAt - prev.scrapedAt) / 1000, 6);
      expect(b.rates!.eventsReceived).toBeCloseTo((b.values.eventsReceived! - a.values.eventsReceived!) / cur!.rateWindowS!, 6);
      expect(b.rates!.eventsReceived).toBeGreaterThan(0);

      const byKey = new Map((cur!.series ?? []).map((s) => [s.key, s]));
      expect(cur!.version).toMatch(/^v1\.36\./);
      for (const s of cur!.series!) expect(s.state).not.toBe('notInVersion');
      for (const k of ['watches', 'eventsReceived', 'eventsDispatched', 'watchCacheCapacity', 'initializations', 'watchCacheResourceVersion', 'cacheListTotal', 'storageListTotal', 'featureGates']) {
        expect(byKey.get(k as never)?.state, k).toBe('present');
      }
      // Consistent reads from the cache exist only where the cluster trusts progress requests.
      expect(byKey.get('consistentReads')?.state).toBe(c.trusted ? 'present' : 'noSamples');
      expect(byKey.get('consistentReads')?.introduced).toBe('1.31');
      // watchscope's own cacher keeps a watch open on configmaps through this apiserver.
      expect(b.values.watches).toBeGreaterThanOrEqual(1);

      // Against the cluster's own /metrics, read after the scrape: counters only grow, the capacity is the same gauge.
      const real = summarizeStorageMetrics(parsePrometheusText(await kubectl('get', '--raw', '/metrics'))).resources.find((r) => r.resource === 'configmaps')!;
      expect(real.eventsReceived).toBeGreaterThanOrEqual(b.values.eventsReceived!);
      expect(real.watchCacheResourceVersion).toBeGreaterThanOrEqual(b.values.watchCacheResourceVersion!);

      // The lag chart: one point per scrape, bounded, the cached resources' distance to the cluster's revision.
      const lag = cur!.lag!;
      expect(lag.length).toBeGreaterThanOrEqual(2);
      expect(lag.length).toBeLessThanOrEqual(240);
      const last = lag.at(-1)!;
      expect(Object.keys(last.behind).sort()).toEqual(['configmaps', 'namespaces', 'pods']);
      expect(last.revision).toBeGreaterThanOrEqual(b.values.watchCacheResourceVersion!);
      expect(last.behind.configmaps).toBe(Math.max(0, last.revision - b.values.watchCacheResourceVersion!));

      // What crosses IPC is exactly the contract's shape.
      const snap = session.snapshot()!;
      expect(() => Snapshot.parse(snap)).not.toThrow();
      expect(snap.connection.clusterModel?.progressTrusted).toBe(c.trusted);
      expect(snap.clusterMetrics?.series?.length).toBeGreaterThan(10);
    }, 60_000);

    it('a user without /metrics: refused, said so, and what was assumed', async () => {
      const s = new Session({ snapshotIntervalMs: 300, clusterMetricsIntervalMs: 1000 });
      try {
        const v = connected(await s.connect({ mode: 'kube', kubeconfig: api.kubeconfig, context: 'viewer', resources: ['configmaps'] }));
        expect(v.clusterModel).toMatchObject({ from: 'assumed', progressTrusted: false });
        expect(v.clusterModel!.assumed).toMatch(/^gates at the defaults of Kubernetes v1\.36\.\d+, and RequestWatchProgress assumed not trusted .*: \/metrics could not be read/);
        expect(v.clusterModel!.gatesHow).toMatch(/^not read: the cluster refuses \/metrics to user "test-viewer"/);
        for (const g of v.clusterModel!.gates) expect(g.cluster).toBeUndefined();
        expect(v.clusterModel!.gates.find((g) => g.name === 'WatchList')!.note).toBe('not read (/metrics refused): the release default');
        await until(() => s.snapshot()?.clusterMetrics?.error !== undefined, 15_000, 'the refused scrape');
        const cm = s.snapshot()!.clusterMetrics!;
        expect(cm.error).toMatch(/^the cluster refuses \/metrics to user "test-viewer" — the cluster's own watch-cache counters need RBAC get on nonResourceURL \/metrics/);
        expect(cm.resources).toEqual([]);
        expect(cm.series).toBeUndefined();
      } finally {
        await s.close();
      }
    }, 60_000);
  });
}

(kube120 ? describe : describe.skip)('kube-apiserver v1.20.2: the series it lacks are named with the release that brought them', () => {
  let api: TestApiserver;
  let session: Session;
  let st: ConnectionState;

  beforeAll(async () => {
    api = await startTestApiserver();
    session = new Session({ snapshotIntervalMs: 300, clusterMetricsIntervalMs: 1000 });
    st = connected(await session.connect({ mode: 'kube', kubeconfig: api.kubeconfig, context: CONTEXTS.admin, resources: ['configmaps', 'namespaces'] }));
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await api?.stop();
  }, 30_000);

  it('gates and trust: nothing to read before 1.26 / 1.31, and the model says so', () => {
    const m = st.clusterModel!;
    expect(m.from).toBe('metrics');
    expect(m.gatesHow).toBe('Kubernetes v1.20.2 has no kubernetes_feature_enabled (it came in 1.26): gates at the release\'s defaults');
    expect(m.progressTrusted).toBe(false);
    expect(m.progressHow).toMatch(/^not measured: apiserver_watch_cache_consistent_read_total came in 1\.31/);
    for (const g of m.gates) expect(g.cluster).toBeUndefined();
  });

  it('missing series are "not in version" with their release, and never a zero', async () => {
    const cm = await scrapeWhere(session, (m) => m.rateWindowS !== undefined, 'two scrapes');
    expect(cm.version).toBe('v1.20.2');
    const byKey = new Map(cm.series!.map((s) => [s.key, s]));
    const lacks: Record<string, string> = {
      terminatedWatchers: '1.21',
      watchCacheCapacity: '1.21',
      cacheListTotal: '1.23',
      storageListTotal: '1.23',
      eventsDispatched: '1.24',
      initializations: '1.24',
      featureGates: '1.26',
      eventsReceived: '1.27',
      readWaitCount: '1.30',
      watchCacheResourceVersion: '1.31',
      consistentReads: '1.31',
      consistentReadFallbacks: '1.31',
    };
    for (const [k, since] of Object.entries(lacks)) expect(byKey.get(k as never), k).toMatchObject({ state: 'notInVersion', introduced: since });
    expect(byKey.get('watches')?.state).toBe('present');
    expect(byKey.get('storageObjects')?.state).toBe('present');
    const configmaps = cm.resources.find((r) => r.resource === 'configmaps')!;
    expect(configmaps.values.watches).toBeGreaterThanOrEqual(1);
    for (const k of Object.keys(lacks)) {
      expect(configmaps.values[k], k).toBeUndefined();
      expect(configmaps.rates?.[k], k).toBeUndefined();
    }
    // No cache resourceVersion series: no lag points can be drawn, and none are invented.
    expect(cm.lag).toBeUndefined();
    expect(() => Snapshot.parse(session.snapshot())).not.toThrow();
  }, 60_000);
});
