// The audit stream into real sessions, from real kube-apiservers (v1.20.2 and v1.36) on a temp etcd
// with the audit log and the audit webhook at Request level: one session connected to the cluster
// through its kubeconfig context and following its log, another fed only by the webhook (the
// cluster's --audit-webhook-config-file is the kubeconfig that session wrote). kubectl and
// client-node send known traffic; both sessions' inferred decisions must be that traffic, routed
// under the cluster's profile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Snapshot, type Decision } from '../shared/model.js';
import { Session } from './session.js';
import { resolveProfile } from './storage/routing/index.js';
import { listContexts } from './storage/kube/kubeconfig.js';
import { until } from './storage/apiserver/testing.js';
import { clusterMissing, startAuditedCluster, type AuditedCluster, type ClusterVersion } from './cluster/testing/clusters.js';

const CLIENT_NODE_UA = /^kubernetes-client-javascript\//;
const KUBECTL_UA = /^kubectl\//;

for (const version of ['1.20', '1.36'] as ClusterVersion[]) {
  const missing = clusterMissing(version);
  if (missing) console.warn(`\n!!! audit session tests against kube-apiserver ${version} SKIPPED: ${missing}\n`);
  const d = missing ? describe.skip : describe;

  d(`sessions fed by the audit stream of a real kube-apiserver ${version}`, () => {
    let cluster: AuditedCluster;
    const viaLog = new Session({ snapshotIntervalMs: 200 });
    const viaWebhook = new Session({ snapshotIntervalMs: 200 });
    const ns = `audited-${version.replace('.', '-')}`;
    const profile = resolveProfile(version).name;

    beforeAll(async () => {
      // The webhook session first: its kubeconfig (endpoint, CA, token) is what the cluster starts with.
      const wh = await viaWebhook.connect({ mode: 'audit', audit: { webhook: true }, profile: version });
      expect(wh.message).toBeUndefined();
      const whKubeconfig = viaWebhook.auditSource!.status().webhook!.kubeconfigPath;
      cluster = await startAuditedCluster(version, { webhookKubeconfig: readFileSync(whKubeconfig, 'utf8') });
      const context = listContexts({ kubeconfig: cluster.kubeconfig }).find((c) => c.current)!.name;
      const st = await viaLog.connect({ mode: 'kube', kubeconfig: cluster.kubeconfig, context, resources: ['configmaps'], audit: { logPath: cluster.auditLog } });
      expect(st.message).toBeUndefined();

      await cluster.kubectl(['create', 'namespace', ns]);
      for (const n of ['a', 'b', 'c']) await cluster.kubectl(['create', 'configmap', n, '-n', ns, '--from-literal=k=v']);
      await cluster.kubectl(['get', 'configmaps', '-n', ns]);
      await cluster.kubectl(['get', 'configmaps', '-n', ns]);
      const kc = new KubeConfig();
      kc.loadFromFile(cluster.kubeconfig);
      const api = kc.makeApiClient(CoreV1Api);
      for (let i = 0; i < 3; i++) await api.listNamespacedConfigMap({ namespace: ns, resourceVersion: '0' });
      for (let i = 0; i < 2; i++) await api.listNamespacedConfigMap({ namespace: ns });
      await api.readNamespacedConfigMap({ namespace: ns, name: 'a' });
      await api.readNamespacedConfigMap({ namespace: ns, name: 'c' });
      const sawLast = (s: Session) => () => ours(s).some((x) => x.verb === 'get' && x.name === 'c');
      await until(sawLast(viaLog), 30_000, 'the followed log to show the last request');
      await until(sawLast(viaWebhook), 30_000, 'the webhook to deliver the last request');
    }, 240_000);

    afterAll(async () => {
      await viaLog.close();
      await viaWebhook.close();
      await cluster?.stop();
    }, 60_000);

    /** The session's inferred decisions about the test's namespace, from the ring the Requests view pages. */
    function ours(s: Session): Decision[] {
      return (s.current?.decisions.since(0) ?? []).filter((x) => x.inferred && x.namespace === ns && x.resource === 'configmaps');
    }

    it('both sessions connect under the cluster\'s profile: kube mode from /version, the webhook session as chosen', () => {
      expect(viaLog.connection()).toMatchObject({ state: 'connected', mode: 'kube', profile });
      expect(viaWebhook.connection()).toMatchObject({ state: 'connected', mode: 'audit', target: 'audit webhook', profile });
      expect(viaLog.auditSource!.status().profileSource).toMatch(new RegExp(`^the cluster's /version \\(v${version.replace('.', '\\.')}\\.\\d+`));
      expect(viaWebhook.auditSource!.status().profileSource).toBe(`--profile ${version}`);
    });

    it('every decision is marked inferred, from the audit stream, under the profile, with what-if for every profile and the user who sent it', () => {
      for (const s of [viaLog, viaWebhook]) {
        const ds = ours(s);
        expect(ds.length).toBeGreaterThanOrEqual(12);
        const users = new Set<string>();
        for (const x of ds) {
          expect(x).toMatchObject({ source: 'audit', inferred: true, profile });
          expect(x.whatIf!.map((w) => w.profile)).toEqual(['1.27', '1.28', '1.31', '1.33', '1.34', '1.37']);
          if (KUBECTL_UA.test(x.userAgent) || CLIENT_NODE_UA.test(x.userAgent)) users.add(x.user ?? '');
        }
        // kubectl and client-node use the same kubeconfig user.
        expect(users.size).toBe(1);
        expect([...users][0]).not.toBe('');
      }
    });

    it('kubectl\'s requests: three creates answered 201, two paged LISTs from etcd', () => {
      for (const s of [viaLog, viaWebhook]) {
        const k = ours(s).filter((x) => KUBECTL_UA.test(x.userAgent));
        expect(k.filter((x) => x.verb === 'create').map((x) => `${x.status} ${x.servedBy}`)).toEqual(['201 etcd', '201 etcd', '201 etcd']);
        const lists = k.filter((x) => x.verb === 'list');
        expect(lists.map((x) => x.query.limit)).toEqual(['500', '500']);
      }
      // The kube session took the cluster's etcd as not answering progress requests (what kube mode
      // measures), so kubectl's consistent paged LISTs are etcd's under every version.
      for (const l of ours(viaLog).filter((x) => KUBECTL_UA.test(x.userAgent) && x.verb === 'list')) {
        expect(l).toMatchObject({ servedBy: 'etcd', reason: 'consistentReadFromStorage' });
      }
    });

    it('client-node\'s requests: RV "0" LISTs from the cache, consistent LISTs as the etcd assumption says, GETs from etcd', () => {
      for (const s of [viaLog, viaWebhook]) {
        const cn = ours(s).filter((x) => CLIENT_NODE_UA.test(x.userAgent));
        const lists = cn.filter((x) => x.verb === 'list');
        expect(lists.map((x) => x.query.resourceVersion ?? '').sort()).toEqual(['', '', '0', '0', '0']);
        for (const l of lists.filter((x) => x.query.resourceVersion === '0')) expect(l).toMatchObject({ servedBy: 'cache', reason: 'servedFromCache', status: 200 });
        const consistent = lists.filter((x) => !x.query.resourceVersion);
        // Alone, the session assumes an etcd that answers progress requests (said in its assumptions):
        // from 1.31 the cache serves a consistent LIST then; before, etcd does. The kube session
        // assumed the opposite, so etcd serves them under every version.
        const fromCache = s === viaWebhook && version !== '1.20';
        for (const l of consistent) expect(l).toMatchObject(fromCache ? { servedBy: 'cache', reason: 'consistentReadFromCache' } : { servedBy: 'etcd', reason: 'consistentReadFromStorage' });
        expect(s.auditSource!.status().assumptions).toContain(
          s === viaWebhook ? 'etcd answers RequestWatchProgress (≥3.4.31 / ≥3.5.13)' : 'etcd does not answer RequestWatchProgress (below 3.4.31 / 3.5.13)',
        );
        // What-if: 1.27 has no consistent reads from the cache.
        for (const l of consistent) expect(l.whatIf!.find((w) => w.profile === '1.27')).toMatchObject({ servedBy: 'etcd' });
        const gets = cn.filter((x) => x.verb === 'get');
        expect(gets.map((x) => `${x.name} ${x.servedBy} ${x.reason}`)).toEqual(['a etcd getQuorumRead', 'c etcd getQuorumRead']);
      }
    });

    it('the Clients aggregate counts what each client sent, by verb and by side, from the cluster\'s audit stream', async () => {
      for (const s of [viaLog, viaWebhook]) {
        const report = await s.getClients({ minutes: 60 });
        expect(report.sources.audit).toBeGreaterThan(0);
        const row = (re: RegExp) => {
          const rows = report.userAgents.filter((r) => re.test(r.key));
          expect(rows).toHaveLength(1);
          return rows[0]!;
        };
        const kubectl = row(KUBECTL_UA);
        // create namespace + three configmaps; two `get configmaps` (limit=500, no resourceVersion).
        // The 1.20 harness creates its RBAC objects with kubectl too, so creates are at least four.
        expect(kubectl).toMatchObject({ sources: ['audit'], consistentLists: 2, rejected: 0 });
        expect(kubectl.byVerb.list).toBe(2);
        expect(kubectl.byVerb.create).toBeGreaterThanOrEqual(4);
        const kubectlRequests = Object.values(kubectl.byVerb).reduce((a, b) => a + b, 0);
        expect(kubectl.requests).toBe(kubectlRequests);
        expect(kubectl.cache + kubectl.etcd).toBe(kubectlRequests);
        const cn = row(CLIENT_NODE_UA);
        expect(cn).toMatchObject({ sources: ['audit'], requests: 7, byVerb: { list: 5, get: 2 }, consistentLists: 2, rejected: 0 });
        // Three RV=0 LISTs from the cache, two GETs from etcd; the consistent LISTs follow the etcd assumption.
        const consistentFromCache = s === viaWebhook && version !== '1.20';
        expect({ cache: cn.cache, etcd: cn.etcd }).toEqual(consistentFromCache ? { cache: 5, etcd: 2 } : { cache: 3, etcd: 4 });
        if (!consistentFromCache) {
          expect(kubectl).toMatchObject({ etcd: kubectlRequests, cache: 0 });
          // Sorted by etcd load: kubectl (at least 6 from etcd) before client-node (4).
          expect(report.userAgents.indexOf(kubectl)).toBeLessThan(report.userAgents.indexOf(cn));
        }
        // Both clients use the kubeconfig's one user: its row holds at least their 13 requests.
        const user = ours(s).find((x) => KUBECTL_UA.test(x.userAgent))!.user!;
        expect(report.users.find((r) => r.key === user)!.requests).toBeGreaterThanOrEqual(13);
      }
    });

    it('the upgrade report of the audit stream: client-node\'s consistent LISTs change side where the profiles differ', async () => {
      const r = await viaWebhook.upgradeReport();
      expect(r.clusterProfile).toBe(profile);
      expect(r.assumptions).toContain('etcd answers RequestWatchProgress (≥3.4.31 / ≥3.5.13)');
      const cn = r.clients.find((c) => CLIENT_NODE_UA.test(c.key))!;
      // Under 1.27 no consistent LIST is the cache's; from 1.31 (progress assumed) both are.
      expect(cn.byProfile['1.27']).toMatchObject({ cache: 3, etcd: 4 });
      expect(cn.byProfile['1.34']).toMatchObject({ cache: 5, etcd: 2 });
      const moves = r.changes.filter((c) => c.resource.includes('configmaps') && c.verb === 'list' && c.fromReason !== c.toReason);
      if (version === '1.20') {
        expect(moves.some((c) => c.profile === '1.34' && c.from === 'etcd' && c.to === 'cache' && c.count >= 2)).toBe(true);
      } else {
        expect(moves.some((c) => c.profile === '1.27' && c.from === 'cache' && c.to === 'etcd' && c.count >= 2)).toBe(true);
      }
    });

    it('the snapshot carries the audit status: the source, no bad input, and it validates against the contract', async () => {
      for (const s of [viaLog, viaWebhook]) await until(() => (s.snapshot()?.audit?.routed ?? 0) > 0, 5000, 'a snapshot with the audit status');
      const log = Snapshot.parse(viaLog.snapshot()).audit!;
      expect(log.log).toEqual({ path: cluster.auditLog, state: 'following' });
      expect(log.bad).toEqual([]);
      const wh = Snapshot.parse(viaWebhook.snapshot()).audit!;
      expect(wh.webhook!.batches).toBeGreaterThan(0);
      expect(wh.bad).toEqual([]);
      // The webhook saw what the file did (the webhook session has no log of its own).
      const ids = (s: Session) => new Set(ours(s).map((x) => `${x.verb} ${x.name ?? ''} ${x.query.resourceVersion ?? ''} ${x.userAgent}`));
      expect([...ids(viaWebhook)].filter((k) => !ids(viaLog).has(k))).toEqual([]);
    });
  });
}
