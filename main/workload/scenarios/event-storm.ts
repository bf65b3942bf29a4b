// Event storm: a burst of heavy writes. Watchers that cannot keep up (a paused reader, the small
// 10-slot buffers of kubelet-style indexed watches) are force-closed with reason bufferFull once
// the dispatcher's time budget (50 ms/s, max 100 ms) runs out; they re-watch from their last RV.
// Watchers that keep reading lose nothing.
import { PodController } from '../controller.js';
import { nodeName, podsPath } from '../pods.js';
import { Reflector } from '../reflector.js';
import { SlowReader } from '../slow-reader.js';
import { Transport } from '../transport.js';
import { closedWatchers, converges, scaled, waitFor } from './helpers.js';
import type { Scenario } from './types.js';

const NS = 'storm';

export const eventStorm: Scenario = {
  name: 'event-storm',
  title: 'Event storm',
  explanation:
    'A burst of thousands of heavy pod updates. Watch the Watchers view: the paused reader and then kubelet-style ' +
    'watches (fieldSelector spec.nodeName, buffer capped at 10) fill up and are closed with reason bufferFull — ' +
    'upstream logs "Forcing watcher close due to unresponsiveness" (issue #125123) and only counts it in ' +
    'apiserver_terminated_watchers_total (#97845). The clients just see their stream end and re-watch from their ' +
    'last resourceVersion; the informers that kept reading end up with exactly what etcd has.',
  async run(ctx) {
    const t = new Transport(ctx.connection);
    const writer = new PodController(t, { namespaces: 1, namespacePrefix: NS, nodes: 3, maxPods: scaled(ctx, 300, 20), padding: 0 }, 'watchscope-scenario/storm-writer');
    const path = podsPath();
    const informers = [1, 2].map((i) => new Reflector(t, { name: `fast-${i}`, userAgent: `watchscope-scenario/fast-informer-${i}`, path, keepStore: true }));
    const kubelets = [1, 2, 3].map((i) => new Reflector(t, { name: `kubelet-${i}`, userAgent: `kubelet/${nodeName(i)} (watchscope-scenario)`, path, fieldSelector: `spec.nodeName=${nodeName(i)}`, keepStore: true }));
    const slow = new SlowReader(t, { path, userAgent: 'watchscope-scenario/slow-reader', holdMs: 60_000, readBeforeHold: 1, readMs: 60_000 });
    try {
      ctx.report?.('seeding pods');
      await writer.burst(scaled(ctx, 150, 10), 'create');
      for (const r of [...informers, ...kubelets]) r.start();
      await Promise.all([...informers, ...kubelets].map((r) => r.synced()));
      slow.start();
      await waitFor(() => slow.stats().holds > 0, 10_000);
      ctx.report?.('write burst');
      const t0 = Date.now();
      // Heavy objects so that the paused reader's socket and its cacheWatcher's buffers fill.
      writer.set({ padding: 16384 });
      const writes = scaled(ctx, 3000, 200);
      await writer.burst(writes, 'update', 64);
      ctx.report?.('waiting for forced closes and re-watches');
      const isSlow = (ua: string) => ua === 'watchscope-scenario/slow-reader';
      await waitFor(() => closedWatchers(ctx, t0, (w) => isSlow(w.userAgent) && w.closeReason === 'bufferFull').length > 0, 30_000);
      // Loopback socket buffers hold megabytes: the reader pauses until the cacher has closed it.
      slow.releaseHold();
      await waitFor(() => slow.stats().forcedCloses > 0 && slow.stats().watches > 1, 20_000);
      ctx.report?.('checking that fast watchers lost nothing');
      const fastOk = (await Promise.all(informers.map((r) => converges(t, r, { path }, 20_000)))).every(Boolean);
      const kubeletsOk = (await Promise.all(kubelets.map((r, i) => converges(t, r, { path, fieldSelector: `spec.nodeName=${nodeName(i + 1)}` }, 20_000)))).every(Boolean);
      const closed = closedWatchers(ctx, t0, (w) => w.closeReason === 'bufferFull');
      const ss = slow.stats();
      const signature = {
        writes,
        bufferFullCloses: closed.length,
        slowReaderBufferFull: closed.filter((w) => isSlow(w.userAgent)).length,
        kubeletBufferFull: closed.filter((w) => w.userAgent.startsWith('kubelet/')).length,
        fastInformerBufferFull: closed.filter((w) => w.userAgent.startsWith('watchscope-scenario/fast-informer')).length,
        slowReaderForcedCloses: ss.forcedCloses,
        slowReaderWatches: ss.watches,
        kubeletRewatches: kubelets.reduce((a, r) => a + r.stats().rewatches, 0),
        relists: [...informers, ...kubelets].reduce((a, r) => a + r.stats().relists, 0),
        fastWatchersConsistent: fastOk,
        kubeletsConsistent: kubeletsOk,
      };
      const ok = signature.slowReaderBufferFull > 0 && ss.forcedCloses > 0 && ss.watches > 1 && fastOk && kubeletsOk;
      return {
        ok,
        signature,
        summary:
          `${writes} updates: ${closed.length} watcher(s) closed with bufferFull (slow reader ${signature.slowReaderBufferFull}, ` +
          `kubelets ${signature.kubeletBufferFull}, fast informers ${signature.fastInformerBufferFull}). The slow reader saw its ` +
          `stream end ${ss.forcedCloses} time(s) and re-watched from its last RV; fast informers ${fastOk ? 'match' : 'DO NOT match'} ` +
          `etcd and kubelets ${kubeletsOk ? 'match' : 'DO NOT match'} etcd.`,
      };
    } finally {
      await Promise.allSettled([slow.stop(), ...informers.map((r) => r.stop()), ...kubelets.map((r) => r.stop())]);
      writer.set({ padding: 0 });
      await writer.deleteAll().catch(() => undefined);
      await t.close();
    }
  },
};
