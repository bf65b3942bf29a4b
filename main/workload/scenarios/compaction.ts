// Compaction under live watchers. etcd forgets revisions older than the compaction point:
// LISTs and continue tokens pinned to them answer 410 ("The provided continue parameter is too
// old", "The resourceVersion for the provided list is too old"), and clients relist. The watch
// cache keeps its own event window, so a watch from a compacted RV may still be served from it
// (kubernetes #131011, KEP-4988) while the live informers carry on without losing anything.
import { listAll } from '../lister.js';
import { PodController } from '../controller.js';
import { podsPath } from '../pods.js';
import { Reflector } from '../reflector.js';
import { Transport } from '../transport.js';
import { converges, decisionsOf, scaled, servedBy } from './helpers.js';
import { PROFILE_NEW, PROFILE_OLD, type Scenario } from './types.js';

const NS = 'compaction-1';
const UA = 'watchscope-scenario/compaction-client';

export const compaction: Scenario = {
  name: 'compaction',
  title: 'Compaction',
  explanation:
    'etcd is compacted directly (as etcdctl would) while informers watch and a paginated LIST is half done. The ' +
    'continue token and an exact LIST at the old revision get 410 Expired when they go to etcd (1.27 profile); under ' +
    '1.34 the cache snapshot still answers, because kube-apiserver learns compactions only from compact_rev_key, ' +
    'which its own compactor writes (the decision says snapshotOfCompactedRevision). A watch from the compacted ' +
    'revision is served from the watch cache\'s own window (#131011). Live informers keep going and still match etcd afterwards.',
  async run(ctx) {
    const t = new Transport(ctx.connection);
    const writer = new PodController(t, { namespaces: 1, namespacePrefix: 'compaction', maxPods: 100_000, writesPerSecond: 50 }, 'watchscope-scenario/compaction-writer');
    const path = podsPath(NS);
    const informers = [1, 2].map((i) => new Reflector(t, { name: `informer-${i}`, userAgent: `watchscope-scenario/compaction-informer-${i}`, path, keepStore: true }));
    const before = ctx.profile();
    try {
      await writer.burst(scaled(ctx, 150, 120), 'create');
      for (const r of informers) r.start();
      await Promise.all(informers.map((r) => r.synced()));
      writer.start();
      ctx.setProfile(PROFILE_OLD);
      const firstPage = await listAll(t, { path, userAgent: UA, limit: 50, all: false });
      const token = firstPage.pages[0]?.continue ?? '';
      const oldRV = firstPage.resourceVersion;
      await writer.burst(scaled(ctx, 100, 20), 'update');
      const compactedAt = await ctx.compact();
      ctx.report?.(`compacted at ${compactedAt}`);

      const results: Record<string, number | string | boolean> = {};
      for (const profile of [PROFILE_OLD, PROFILE_NEW]) {
        ctx.setProfile(profile);
        const ua = `${UA}@${profile}`;
        const id = ctx.decisions.lastId;
        const cont = await t.request({ method: 'GET', path, query: { limit: 50, continue: token }, userAgent: ua });
        const exact = await t.request({ method: 'GET', path, query: { limit: 50, resourceVersion: oldRV, resourceVersionMatch: 'Exact' }, userAgent: ua });
        const ds = decisionsOf(ctx, id, ua);
        results[`${profile}.continueStatus`] = cont.status;
        results[`${profile}.continueServedBy`] = servedBy(ds.slice(0, 1));
        results[`${profile}.exactListStatus`] = exact.status;
        results[`${profile}.exactListServedBy`] = servedBy(ds.slice(1, 2));
      }
      // A watch from the compacted RV: answered by the cache's window, not by etcd.
      const w = await t.watch({ path, query: { resourceVersion: oldRV, timeoutSeconds: 5 }, userAgent: UA });
      let watchFromCompacted = 'none';
      if ('stream' in w) {
        const ev = await Promise.race([w.stream.next(), new Promise<null>((r) => setTimeout(() => r(null), 3000))]);
        watchFromCompacted = ev ? (ev.type === 'ERROR' ? `ERROR ${ev.object.code ?? ''}` : 'events') : 'silent';
        await w.stream.close();
      } else watchFromCompacted = `HTTP ${w.error.status}`;

      await writer.stop();
      const consistent = (await Promise.all(informers.map((r) => converges(t, r, { path }, 20_000)))).every(Boolean);
      const signature = {
        compactedAt,
        oldResourceVersion: oldRV,
        ...results,
        watchFromCompactedRV: watchFromCompacted,
        informersConsistent: consistent,
        informerRelists: informers.reduce((a, r) => a + r.stats().relists, 0),
        informerExpired: informers.reduce((a, r) => a + r.stats().expired, 0),
      };
      return {
        ok: results[`${PROFILE_OLD}.continueStatus`] === 410 && results[`${PROFILE_OLD}.exactListStatus`] === 410 && consistent,
        signature,
        summary:
          `Compacted at ${compactedAt}. Continue token from RV ${oldRV}: ${results['1.27.continueStatus']} under 1.27 ` +
          `(${results['1.27.continueServedBy']}), ${results['1.34.continueStatus']} under 1.34 (${results['1.34.continueServedBy']}). ` +
          `Exact LIST at ${oldRV}: ${results['1.27.exactListStatus']} / ${results['1.34.exactListStatus']}. Watch from it: ` +
          `${watchFromCompacted}. Informers ${consistent ? 'match' : 'DO NOT match'} etcd.`,
      };
    } finally {
      ctx.setProfile(before);
      await Promise.allSettled([writer.stop(), ...informers.map((r) => r.stop())]);
      await writer.deleteAll().catch(() => undefined);
      await t.close();
    }
  },
};
