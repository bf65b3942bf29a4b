// Big LIST: tens of thousands of objects. A LIST with RV=0 is answered from the cache's memory; a
// consistent LIST (RV="") on 1.27 reads and decodes everything from etcd. Both materialise the
// whole answer, which is why large LISTs spike apiserver memory (#114276, #96082, #123986) and
// why streaming lists (KEP-3157 WatchList) exist.
import { listAll, type ListOutcome } from '../lister.js';
import { PodController } from '../controller.js';
import { podsPath } from '../pods.js';
import { Transport } from '../transport.js';
import { decisionsOf, scaled, servedBy, waitFor } from './helpers.js';
import { PROFILE_OLD, type Scenario } from './types.js';

const NS = 'big-list-1';

export const bigList: Scenario = {
  name: 'big-list',
  title: 'Big LIST',
  explanation:
    'Tens of thousands of pods, then the same LIST from the watch cache (resourceVersion=0) and from etcd (a ' +
    'consistent LIST under the 1.27 profile). Compare the latency column of the two requests and the process memory ' +
    'each one costs. Large LISTs are the classic source of apiserver memory spikes (#114276, #123986), the ' +
    'motivation for streaming lists (KEP-3157).',
  async run(ctx) {
    const t = new Transport(ctx.connection, { maxSockets: 64 });
    const n = scaled(ctx, 20_000, 100);
    const writer = new PodController(t, { namespaces: 1, namespacePrefix: 'big-list', maxPods: n + 1, concurrency: 64 }, 'watchscope-scenario/big-list-writer');
    const path = podsPath(NS);
    const before = ctx.profile();
    try {
      ctx.report?.(`creating ${n} pods`);
      await writer.burst(n, 'create', 64);
      await waitFor(async () => (await listAll(t, { path, userAgent: 'watchscope-scenario/verifier', resourceVersion: '0' })).items.length >= n, 30_000, 500);
      const measure = async (ua: string, rv: string | undefined): Promise<[ListOutcome, number, string]> => {
        const id = ctx.decisions.lastId;
        const heap0 = process.memoryUsage().heapUsed;
        const r = await listAll(t, { path, userAgent: ua, resourceVersion: rv });
        const heapMB = (process.memoryUsage().heapUsed - heap0) / 1048576;
        return [r, Math.round(heapMB * 10) / 10, servedBy(decisionsOf(ctx, id, ua))];
      };
      ctx.setProfile(PROFILE_OLD);
      ctx.report?.('LIST from the cache and from etcd');
      const [cache, cacheHeapMB, cacheBy] = await measure('watchscope-scenario/big-list-rv0', '0');
      const [etcd, etcdHeapMB, etcdBy] = await measure('watchscope-scenario/big-list-consistent', undefined);
      const signature = {
        objects: n,
        cacheItems: cache.items.length,
        etcdItems: etcd.items.length,
        cacheServedBy: cacheBy,
        etcdServedBy: etcdBy,
        cacheLatencyMs: Math.round(cache.latencyMs),
        etcdLatencyMs: Math.round(etcd.latencyMs),
        cacheBytes: cache.bytes,
        etcdBytes: etcd.bytes,
        // Heap growth of this process across the request (server and client share it in the demo).
        cacheHeapDeltaMB: cacheHeapMB,
        etcdHeapDeltaMB: etcdHeapMB,
      };
      return {
        ok: cache.ok && etcd.ok && cache.items.length >= n && etcd.items.length >= n && cacheBy === 'cache' && etcdBy === 'etcd',
        signature,
        summary:
          `${n} pods: LIST RV=0 from ${cacheBy} took ${signature.cacheLatencyMs} ms (${(cache.bytes / 1048576).toFixed(1)} MB), ` +
          `LIST RV="" from ${etcdBy} took ${signature.etcdLatencyMs} ms (${(etcd.bytes / 1048576).toFixed(1)} MB).`,
      };
    } finally {
      ctx.setProfile(before);
      ctx.report?.('deleting the pods');
      await writer.deleteAll(64).catch(() => undefined);
      await t.close();
    }
  },
};
