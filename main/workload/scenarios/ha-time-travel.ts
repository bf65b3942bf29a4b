// HA time travel (kubernetes #59848): two apiservers on one etcd, one of them with a lagging
// watch cache. A client that already saw a deleted pod gone on replica A asks replica B with
// resourceVersion=0 and gets an older resourceVersion — and the deleted pod back. Consistent
// reads (RV="") do not have this problem, which is why KEP-2340 made them cheap enough to use.
import { listAll } from '../lister.js';
import { PodController } from '../controller.js';
import { podPath, podsPath } from '../pods.js';
import { Transport } from '../transport.js';
import { delay, waitFor } from './helpers.js';
import type { Scenario, ScenarioResult } from './types.js';

const NS = 'ha-1';
const UA = 'watchscope-scenario/ha-client';

export const haTimeTravel: Scenario = {
  name: 'ha-time-travel',
  title: 'HA time travel',
  explanation:
    'Two cacher replicas on one etcd; replica B applies etcd events late. A pod is deleted; replica A\'s RV=0 LIST ' +
    'no longer has it, then replica B\'s RV=0 LIST answers with an older resourceVersion and the deleted pod is back ' +
    '("time travel", kubernetes #59848). The resourceVersion regression is flagged; a consistent LIST (RV="") on B ' +
    'is not affected.',
  needsReplica: true,
  async run(ctx): Promise<ScenarioResult> {
    const replica = ctx.replica;
    if (!replica) return { ok: false, signature: { skipped: true }, summary: 'This preset needs a second cacher replica (ctx.replica).' };
    const a = new Transport(ctx.connection);
    const b = new Transport(replica.connection);
    const writer = new PodController(a, { namespaces: 1, namespacePrefix: 'ha', maxPods: 100 }, 'watchscope-scenario/ha-writer');
    const path = podsPath(NS);
    try {
      await writer.burst(5, 'create');
      const victim = writer.podKeys()[0]!;
      const name = victim.split('/')[1]!;
      const has = (items: { name?: string }[]) => items.some((i) => i.name === name);
      // Both replicas caught up before the lag starts (after a storm, A's own cache may still be
      // draining: a lagging A would make the comparison meaningless).
      const caughtUp = async (t: Transport) => {
        const target = await ctx.currentRevision();
        return waitFor(async () => {
          const l = await listAll(t, { path, userAgent: UA, resourceVersion: '0' });
          return has(l.items) && Number(l.resourceVersion) >= target;
        }, 30_000);
      };
      await caughtUp(a);
      await caughtUp(b);
      // Long enough that a loaded machine cannot let B catch up before it is read.
      replica.setDelay(20_000);
      await delay(200);
      const rev = await ctx.currentRevision();
      // gracePeriodSeconds=0: no kubelet here finishes a graceful deletion of the bound pod.
      const del = await a.request({ method: 'DELETE', path: `${podPath(NS, name)}?gracePeriodSeconds=0`, userAgent: UA });
      if (del.status >= 300) throw new Error(`DELETE ${victim}: ${del.status}`);
      const afterDelete = await ctx.currentRevision();
      ctx.report?.('reading both replicas');
      let onA = await listAll(a, { path, userAgent: UA, resourceVersion: '0' });
      await waitFor(async () => {
        onA = await listAll(a, { path, userAgent: UA, resourceVersion: '0' });
        return Number(onA.resourceVersion) >= afterDelete && !has(onA.items);
      }, 15_000, 50);
      const onB = await listAll(b, { path, userAgent: UA, resourceVersion: '0' });
      const onBConsistent = await listAll(b, { path, userAgent: UA });
      const signature = {
        revisionBeforeDelete: rev,
        revisionAfterDelete: afterDelete,
        replicaA_RV: Number(onA.resourceVersion),
        replicaB_RV: Number(onB.resourceVersion),
        rvRegression: Number(onB.resourceVersion) < Number(onA.resourceVersion),
        deletedPodOnA: has(onA.items),
        deletedPodOnB: has(onB.items),
        replicaBConsistentRV: Number(onBConsistent.resourceVersion),
        consistentReadFresh: Number(onBConsistent.resourceVersion) >= afterDelete && !has(onBConsistent.items),
      };
      return {
        ok: signature.rvRegression && signature.deletedPodOnB && !signature.deletedPodOnA && signature.consistentReadFresh,
        signature,
        summary:
          `Replica ${replica.name} answered RV=0 with resourceVersion ${signature.replicaB_RV} after the client had seen ` +
          `${signature.replicaA_RV} on the other replica${signature.rvRegression ? ' — RV REGRESSION' : ''}; the deleted pod ` +
          `${signature.deletedPodOnB ? 'came back' : 'stayed gone'}. A consistent LIST on the same replica returned ` +
          `${signature.replicaBConsistentRV}.`,
      };
    } finally {
      replica.setDelay(0);
      await writer.deleteAll().catch(() => undefined);
      await Promise.all([a.close(), b.close()]);
    }
  },
};
