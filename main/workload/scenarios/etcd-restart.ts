// etcd restart: kill -9 etcd under live watchers and writes, start it again. Writes fail during the
// outage; the cacher's etcd watch resumes from its last revision (etcd's "resumable" guarantee),
// and on a real 1.36 apiserver open watches just pause and continue without gaps or 410s. The
// check: every watcher ends with exactly what etcd has.
import { PodController } from '../controller.js';
import { nodeName, podsPath } from '../pods.js';
import { Reflector } from '../reflector.js';
import { Transport } from '../transport.js';
import { converges, delay, scaled, waitFor } from './helpers.js';
import type { Scenario } from './types.js';

export const etcdRestart: Scenario = {
  name: 'etcd-restart',
  title: 'etcd restart',
  explanation:
    'etcd is killed with SIGKILL while pods are being written and watched, then started again on the same data. ' +
    'Watch the connection banner and the Freshness view: the cache stops, its lag grows, then it catches up. Writes ' +
    'during the outage fail; watchers either pause or re-watch from their last resourceVersion, and at the end every ' +
    'one of them holds exactly what etcd holds — nothing lost (etcd\'s "resumable" watch guarantee; contrast ' +
    'kubernetes #129194, where an apiserver restart makes clients relist en masse).',
  async run(ctx) {
    const t = new Transport(ctx.connection);
    const writer = new PodController(t, { namespaces: 2, namespacePrefix: 'restart', nodes: 2, maxPods: scaled(ctx, 200, 20), writesPerSecond: 50 }, 'watchscope-scenario/restart-writer');
    const path = podsPath();
    const watchers = [
      new Reflector(t, { name: 'informer', userAgent: 'watchscope-scenario/restart-informer', path, keepStore: true }),
      ...[1, 2].map((i) => new Reflector(t, { name: `kubelet-${i}`, userAgent: `kubelet/${nodeName(i)} (watchscope-scenario)`, path, fieldSelector: `spec.nodeName=${nodeName(i)}`, keepStore: true })),
    ];
    const selectors = [undefined, `spec.nodeName=${nodeName(1)}`, `spec.nodeName=${nodeName(2)}`];
    try {
      await writer.burst(scaled(ctx, 40, 10), 'create');
      for (const r of watchers) r.start();
      await Promise.all(watchers.map((r) => r.synced()));
      writer.start();
      await delay(1000);
      const errorsBefore = writer.stats().errors;
      ctx.report?.('kill -9 etcd');
      const down = Date.now();
      await ctx.etcd.kill9();
      await delay(3000);
      await ctx.etcd.restart();
      const outageMs = Date.now() - down;
      ctx.report?.('etcd restarted; waiting for writes and caches to recover');
      const createsAfter = writer.stats().creates + writer.stats().updates;
      const writesResumed = await waitFor(() => writer.stats().creates + writer.stats().updates > createsAfter + 10, 30_000);
      await writer.stop();
      const cachesReady = await waitFor(() => ctx.caches().every((c) => c.info().ready === 'Ready'), 30_000);
      const consistent = await Promise.all(watchers.map((r, i) => converges(t, r, { path, fieldSelector: selectors[i] }, 30_000)));
      const sum = (f: (s: ReturnType<Reflector['stats']>) => number) => watchers.reduce((a, r) => a + f(r.stats()), 0);
      const signature = {
        outageMs,
        writeErrorsDuringOutage: writer.stats().errors - errorsBefore,
        writesResumed,
        cachesReady,
        watchersConsistent: consistent.every(Boolean),
        rewatches: sum((s) => s.rewatches),
        relists: sum((s) => s.relists),
        expired: sum((s) => s.expired),
      };
      return {
        ok: writesResumed && cachesReady && signature.watchersConsistent,
        signature,
        summary:
          `etcd was down ${outageMs} ms; ${signature.writeErrorsDuringOutage} write(s) failed. Watchers re-watched ` +
          `${signature.rewatches} time(s), relisted ${signature.relists} time(s) (${signature.expired} × 410), and ` +
          `${signature.watchersConsistent ? 'all match etcd: nothing lost' : 'DO NOT all match etcd'}.`,
      };
    } finally {
      await Promise.allSettled([writer.stop(), ...watchers.map((r) => r.stop())]);
      await writer.deleteAll().catch(() => undefined);
      await t.close();
    }
  },
};
