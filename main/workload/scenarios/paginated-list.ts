// Paginated vs cached LIST: the same limit/continue LIST routed by two releases. Up to 1.30 any
// limit with RV≠"0" was delegated to etcd (hasLimit); 1.31 added pagination in the cache and
// 1.34 serves exact-RV pages and continue pages from cache snapshots (ListFromCacheSnapshot,
// KEP-4988). With RV="0" the cache ignores the limit altogether (computeListLimit).
import { listAll } from '../lister.js';
import { PodController } from '../controller.js';
import { podsPath } from '../pods.js';
import { Transport } from '../transport.js';
import { decisionsOf, scaled, servedBy } from './helpers.js';
import { PROFILE_NEW, PROFILE_OLD, type Scenario } from './types.js';

const NS = 'paginate-1';

export const paginatedList: Scenario = {
  name: 'paginated-list',
  title: 'Paginated vs cached LIST',
  explanation:
    'The same LIST (limit=50, then continue) under two profiles. In the Requests view, 1.27 sends every page to ' +
    'etcd (shouldDelegateList: hasLimit / hasContinuation) while 1.34 serves the pages from the watch cache ' +
    'snapshots (KEP-4988 ListFromCacheSnapshot). A LIST with resourceVersion=0 returns everything from the cache ' +
    'in one answer: the cache ignores limit for RV=0.',
  async run(ctx) {
    const t = new Transport(ctx.connection);
    const writer = new PodController(t, { namespaces: 1, namespacePrefix: 'paginate', maxPods: 100_000 }, 'watchscope-scenario/paginate-writer');
    const before = ctx.profile();
    const path = podsPath(NS);
    const signature: Record<string, number | string | boolean> = {};
    try {
      const total = scaled(ctx, 230, 120);
      await writer.burst(total, 'create');
      let ok = true;
      for (const profile of [PROFILE_OLD, PROFILE_NEW]) {
        ctx.setProfile(profile);
        // A recent RV the cache holds: where the first page should be pinned.
        const probeUA = `watchscope-scenario/paginate-rv0@${profile}`;
        const id0 = ctx.decisions.lastId;
        const rv0 = await listAll(t, { path, userAgent: probeUA, resourceVersion: '0', limit: 50 });
        const rv0Decisions = decisionsOf(ctx, id0, probeUA);
        const ua = `watchscope-scenario/paginate@${profile}`;
        const id1 = ctx.decisions.lastId;
        const pages = await listAll(t, { path, userAgent: ua, resourceVersion: rv0.resourceVersion, limit: 50 });
        const ds = decisionsOf(ctx, id1, ua);
        const first = ds.slice(0, 1);
        const rest = ds.slice(1);
        signature[`${profile}.pages`] = pages.pages.length;
        signature[`${profile}.items`] = pages.items.length;
        signature[`${profile}.firstPage`] = servedBy(first);
        signature[`${profile}.firstPageReason`] = first[0]?.reason ?? '';
        signature[`${profile}.continuePages`] = servedBy(rest);
        signature[`${profile}.continueReason`] = rest[0]?.reason ?? '';
        signature[`${profile}.rv0Items`] = rv0.items.length;
        signature[`${profile}.rv0Continue`] = !!rv0.pages[0]?.continue;
        signature[`${profile}.rv0ServedBy`] = servedBy(rv0Decisions);
        const want = profile === PROFILE_OLD ? 'etcd' : 'cache';
        ok &&= pages.ok && pages.items.length === total && pages.pages.length === Math.ceil(total / 50);
        ok &&= signature[`${profile}.firstPage`] === want && signature[`${profile}.continuePages`] === want;
        ok &&= rv0.items.length === total && !rv0.pages[0]?.continue && signature[`${profile}.rv0ServedBy`] === 'cache';
      }
      return {
        ok,
        signature,
        summary:
          `LIST limit=50 over ${total} pods: 1.27 served the first page from ${signature['1.27.firstPage']} and continue pages ` +
          `from ${signature['1.27.continuePages']}; 1.34 from ${signature['1.34.firstPage']} / ${signature['1.34.continuePages']}. ` +
          `RV=0 with limit=50 returned ${signature['1.34.rv0Items']} items in one page.`,
      };
    } finally {
      ctx.setProfile(before);
      await writer.deleteAll().catch(() => undefined);
      await t.close();
    }
  },
};
