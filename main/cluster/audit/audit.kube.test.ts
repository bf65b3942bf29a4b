// The audit stream from real kube-apiservers (v1.20.2 and v1.36) at Request level: the log file
// (followed while traffic runs) and the webhook backend on watchscope's own HTTPS endpoint receive
// the same requests, and each routed request matches the traffic sent by kubectl and client-node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startApiServer, type ApiServer } from '../../storage/apiserver/server.js';
import { DecisionLog } from '../../storage/decisions.js';
import { resolveProfile } from '../../storage/routing/index.js';
import { clusterMissing, startAuditedCluster, type AuditedCluster, type ClusterVersion } from '../testing/clusters.js';
import { AuditIngest } from './ingest.js';
import { AuditRouter, type InferredRequest } from './infer.js';
import { readAuditFile } from './file.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UpgradeReport } from '../report/upgrade.js';
import { AUDIT_WEBHOOK_PATH, auditWebhookHandler, renderAuditWebhookKubeconfig } from './webhook.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const runCli = async (args: string[]) =>
  (await promisify(execFile)(process.execPath, ['--import', 'tsx', join(repoRoot, 'main/cli.ts'), ...args], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 })).stdout;

const CLIENT_NODE_UA = /^kubernetes-client-javascript\//;
const KUBECTL_UA = /^kubectl\//;

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const version of ['1.20', '1.36'] as ClusterVersion[]) {
  const missing = clusterMissing(version);
  if (missing) console.warn(`\n!!! audit tests against kube-apiserver ${version} SKIPPED: ${missing}\n`);
  const d = missing ? describe.skip : describe;

  d(`audit stream from a real kube-apiserver ${version}`, () => {
    let cluster: AuditedCluster;
    let endpoint: ApiServer;
    const assumptions = { etcdSupportsRequestWatchProgress: false, profileSource: `the test's kube-apiserver ${version}` };
    const profile = resolveProfile(version);
    const webhook = new AuditIngest({ router: new AuditRouter(profile, assumptions) });
    const followed = new AuditIngest({ router: new AuditRouter(profile, assumptions) });
    const fromWebhook: InferredRequest[] = [];
    const fromFollow: InferredRequest[] = [];
    webhook.subscribe((r) => fromWebhook.push(r));
    followed.subscribe((r) => fromFollow.push(r));
    const stopFollow = new AbortController();
    let following: Promise<void>;
    const ns = `audit-${version.replace('.', '-')}`;

    beforeAll(async () => {
      endpoint = await startApiServer({
        backend: { resources: () => [], resource: () => undefined },
        profile: () => profile,
        decisions: new DecisionLog(10),
        posts: { [AUDIT_WEBHOOK_PATH]: auditWebhookHandler(webhook) },
      });
      cluster = await startAuditedCluster(version, {
        webhookKubeconfig: renderAuditWebhookKubeconfig({ endpoint: endpoint.url, token: endpoint.token, ...(endpoint.caPem ? { caPem: endpoint.caPem } : {}) }),
      });
      following = readAuditFile(cluster.auditLog, followed, { follow: true, signal: stopFollow.signal, pollMs: 100 });

      // kubectl: create a namespace and 3 configmaps, list them twice (RV "" with limit=500: kubectl pages).
      await cluster.kubectl(['create', 'namespace', ns]);
      for (const n of ['a', 'b', 'c']) await cluster.kubectl(['create', 'configmap', n, '-n', ns, '--from-literal=k=v']);
      await cluster.kubectl(['get', 'configmaps', '-n', ns]);
      await cluster.kubectl(['get', 'configmaps', '-n', ns]);

      // client-node: 3 LISTs at RV "0" (cache), 2 consistent LISTs, 1 GET.
      const kc = new KubeConfig();
      kc.loadFromFile(cluster.kubeconfig);
      const api = kc.makeApiClient(CoreV1Api);
      for (let i = 0; i < 3; i++) await api.listNamespacedConfigMap({ namespace: ns, resourceVersion: '0' });
      for (let i = 0; i < 2; i++) await api.listNamespacedConfigMap({ namespace: ns });
      await api.readNamespacedConfigMap({ namespace: ns, name: 'a' });
      // The last request both sides must have seen before the assertions run.
      await api.readNamespacedConfigMap({ namespace: ns, name: 'c' });
      const last = (rs: InferredRequest[]) => rs.some((r) => r.verb === 'get' && r.name === 'c' && r.namespace === ns);
      await until(() => last(fromFollow), 20_000, 'the followed log to show the last request');
      await until(() => last(fromWebhook), 20_000, 'the webhook to deliver the last request');
    }, 180_000);

    afterAll(async () => {
      stopFollow.abort();
      await following?.catch(() => undefined);
      await cluster?.stop();
      await endpoint?.close();
    });

    const ours = (rs: InferredRequest[]) => rs.filter((r) => r.namespace === ns && r.resource === 'configmaps');

    it('routes client-node\'s LISTs as sent: RV "0" from the cache, no RV from etcd under the cluster\'s profile', () => {
      for (const rs of [fromFollow, fromWebhook]) {
        const lists = ours(rs).filter((r) => r.verb === 'list' && CLIENT_NODE_UA.test(r.userAgent));
        expect(lists.map((r) => r.query.resourceVersion ?? '').sort()).toEqual(['', '', '0', '0', '0']);
        for (const r of lists) {
          expect(r.profile).toBe(profile.name);
          expect(r.status).toBe(200);
          if (r.query.resourceVersion === '0') expect(r).toMatchObject({ servedBy: 'cache', reason: 'servedFromCache' });
          else expect(r).toMatchObject({ servedBy: 'etcd', reason: 'consistentReadFromStorage' });
        }
        const gets = ours(rs).filter((r) => r.verb === 'get' && CLIENT_NODE_UA.test(r.userAgent));
        expect(gets.map((r) => r.name)).toEqual(['a', 'c']);
        for (const g of gets) expect(g).toMatchObject({ servedBy: 'etcd', reason: 'getQuorumRead' });
      }
    });

    it('routes kubectl\'s creates and paged LISTs, each request once (stages folded)', () => {
      for (const rs of [fromFollow, fromWebhook]) {
        const k = ours(rs).filter((r) => KUBECTL_UA.test(r.userAgent));
        expect(k.filter((r) => r.verb === 'create').map((r) => r.status)).toEqual([201, 201, 201]);
        const lists = k.filter((r) => r.verb === 'list');
        expect(lists).toHaveLength(2);
        for (const l of lists) {
          expect(l.query.limit).toBe('500');
          // Under 1.20 a limit without RV is a consistent read from etcd; from 1.31 with etcd
          // progress it is served by the cache: the what-if row for 1.34 says so.
          expect(l).toMatchObject({ servedBy: 'etcd', reason: 'consistentReadFromStorage' });
          expect(l.whatIf.find((w) => w.profile === '1.27')).toMatchObject({ servedBy: 'etcd' });
        }
      }
    });

    it('what-if: every request is decided under every profile', () => {
      const r = ours(fromFollow).find((x) => x.verb === 'list' && x.query.resourceVersion === '0')!;
      expect(r.whatIf.map((w) => w.profile)).toEqual(['1.27', '1.28', '1.31', '1.33', '1.34', '1.37']);
      expect(r.whatIf.every((w) => w.servedBy === 'cache')).toBe(true);
    });

    it('file and webhook agree request for request, with nothing counted as bad', () => {
      const key = (r: InferredRequest) => `${r.auditID} ${r.verb} ${r.servedBy} ${r.reason}`;
      const f = new Set(ours(fromFollow).map(key));
      const w = new Set(ours(fromWebhook).map(key));
      expect(f.size).toBeGreaterThanOrEqual(11);
      expect([...w].filter((x) => !f.has(x))).toEqual([]);
      expect(followed.snapshot().bad).toEqual([]);
      expect(webhook.snapshot().bad).toEqual([]);
      expect(followed.snapshot().routed).toBeGreaterThan(f.size);
    });

    it('`watchscope audit FILE` reports the cluster\'s profile from the log, per-client shares and what an upgrade moves', async () => {
      const report = JSON.parse(await runCli(['audit', cluster.auditLog, '--output', 'json', '--etcd-progress', 'trusted'])) as UpgradeReport;
      const want = version === '1.20' ? '1.20' : '1.34';
      expect(report.clusterProfile).toBe(want);
      expect(report.assumptions[0]).toMatch(new RegExp(`^profile from kube-apiserver/v${version.replace('.', '\\.')}\\.\\d+ in the log's own requests$`));
      expect(report.profiles[0]).toBe(want);
      expect(report.stats.bad).toEqual([]);
      // client-node sent 3 RV "0" LISTs, 2 consistent LISTs and 2 GETs, all of configmaps.
      const cn = report.clients.filter((c) => CLIENT_NODE_UA.test(c.key));
      expect(cn).toHaveLength(1);
      expect(cn[0]!.byVerb).toEqual({ list: 5, get: 2 });
      expect(cn[0]!.byProfile[want]).toEqual(version === '1.20' ? { requests: 7, cache: 3, etcd: 4, rejected: 0 } : { requests: 7, cache: 5, etcd: 2, rejected: 0 });
      expect(cn[0]!.byProfile['1.27']).toEqual({ requests: 7, cache: 3, etcd: 4, rejected: 0 });
      // With an etcd that answers progress requests, 1.31+ serve consistent LISTs from the cache.
      expect(cn[0]!.byProfile['1.34']).toEqual({ requests: 7, cache: 5, etcd: 2, rejected: 0 });
      const cm = report.resources.find((r) => r.key === 'configmaps')!;
      expect(cm.byVerb.list).toBeGreaterThanOrEqual(7);
      if (version === '1.20') {
        const moves = report.changes.find((c) => c.profile === '1.34' && c.verb === 'list' && c.resource === 'configmaps' && c.from === 'etcd' && c.to === 'cache' && c.toReason === 'consistentReadFromCache');
        // kubectl's 2 paged LISTs and client-node's 2 consistent LISTs, at least.
        expect(moves!.count).toBeGreaterThanOrEqual(4);
        expect(moves!.text).toBe(`1.34: ${moves!.count} LISTs of configmaps move from etcd to the cache (consistentReadFromStorage → consistentReadFromCache)`);
      } else {
        expect(report.changes.some((c) => c.profile === '1.34')).toBe(false);
      }
      const text = await runCli(['audit', cluster.auditLog, '--etcd-progress', 'trusted']);
      expect(text).toContain(`cluster profile: ${want}; reads (LIST/GET/WATCH): ${report.reads.toLocaleString('en-US')}`);
      expect(text).toMatch(/per client \(user agent · user\)/);
    }, 120_000);
  });
}
