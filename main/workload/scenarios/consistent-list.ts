// Consistent LIST (resourceVersion=""): a quorum read from etcd up to 1.30; from 1.31 served by the
// cache after fetching etcd's revision and waiting for the cache to reach it (KEP-2340
// ConsistentListFromCache) — but only if etcd answers progress requests reliably (≥3.4.31 /
// ≥3.5.13, etcd issues #15220 and #17507). Against an older etcd even 1.34 reads from etcd.
import { listAll } from '../lister.js';
import { PodController } from '../controller.js';
import { podsPath } from '../pods.js';
import { Transport } from '../transport.js';
import { decisionsOf, servedBy } from './helpers.js';
import { PROFILE_NEW, PROFILE_OLD, type Scenario } from './types.js';

export const consistentList: Scenario = {
  name: 'consistent-list',
  title: 'Consistent LIST',
  explanation:
    'A LIST with resourceVersion="" (the default of kubectl get) under two profiles. 1.27 always reads etcd ' +
    '(consistentReadFromStorage). 1.34 serves it from the watch cache after a progress request brings the cache up ' +
    'to etcd\'s revision (KEP-2340) — only when etcd is at least 3.4.31 / 3.5.13, because older etcd may answer ' +
    'progress requests out of order (etcd #15220, #17507). Look at the reason column and at the etcd version.',
  async run(ctx) {
    const t = new Transport(ctx.connection);
    const writer = new PodController(t, { namespaces: 1, namespacePrefix: 'consistent' }, 'watchscope-scenario/consistent-writer');
    const before = ctx.profile();
    const src = ctx.source();
    const signature: Record<string, number | string | boolean> = { etcdVersion: src.version, supportsRequestWatchProgress: src.supportsRequestWatchProgress };
    try {
      await writer.burst(20, 'create');
      let ok = true;
      for (const profile of [PROFILE_OLD, PROFILE_NEW]) {
        ctx.setProfile(profile);
        const ua = `watchscope-scenario/consistent@${profile}`;
        const id = ctx.decisions.lastId;
        const rev = await ctx.currentRevision();
        const r = await listAll(t, { path: podsPath(), userAgent: ua });
        const ds = decisionsOf(ctx, id, ua);
        signature[`${profile}.servedBy`] = servedBy(ds);
        signature[`${profile}.reason`] = ds[0]?.reason ?? '';
        signature[`${profile}.detail`] = ds[0]?.detail ?? '';
        // Consistent means: at least as new as etcd's revision when the request was sent.
        signature[`${profile}.fresh`] = r.ok && Number(r.resourceVersion) >= rev;
        const want = profile === PROFILE_NEW && src.supportsRequestWatchProgress ? 'cache' : 'etcd';
        ok &&= r.ok && signature[`${profile}.servedBy`] === want && signature[`${profile}.fresh`] === true;
      }
      return {
        ok,
        signature,
        summary:
          `etcd ${src.version} (${src.supportsRequestWatchProgress ? 'trusted' : 'not trusted'} for progress requests): ` +
          `1.27 → ${signature['1.27.servedBy']} (${signature['1.27.reason']}), 1.34 → ${signature['1.34.servedBy']} ` +
          `(${signature['1.34.reason']}).`,
      };
    } finally {
      ctx.setProfile(before);
      await writer.deleteAll().catch(() => undefined);
      await t.close();
    }
  },
};
