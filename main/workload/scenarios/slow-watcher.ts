// Slow watcher: one client stops reading. Its cacheWatcher's result buffer, then its input buffer,
// fill to capacity (sized by upstream's chanSize heuristic); the next event that cannot be queued
// within the dispatch budget closes it (bufferFull). When the client reads again it finds the
// stream ended and re-watches from its last RV.
import { PodController } from '../controller.js';
import { podsPath } from '../pods.js';
import { SlowReader } from '../slow-reader.js';
import { Transport } from '../transport.js';
import { closedWatchers, liveWatchers, scaled, waitFor } from './helpers.js';
import type { Scenario } from './types.js';

const UA = 'watchscope-scenario/slow-watcher';

export const slowWatcher: Scenario = {
  name: 'slow-watcher',
  title: 'Slow watcher',
  explanation:
    'One watch whose client stops reading while pods keep changing. In the Watchers view its input/result bars ' +
    'climb to the capacity chosen by the chanSize rule (10…1000), then it is closed with reason bufferFull — the ' +
    '"Forcing watcher close due to unresponsiveness" of issue #125123, made visible per watcher as asked in #86356 ' +
    'and #97845. The client re-watches from the last resourceVersion it read.',
  async run(ctx) {
    const t = new Transport(ctx.connection);
    const writer = new PodController(t, { namespaces: 1, namespacePrefix: 'slow', nodes: 3, maxPods: scaled(ctx, 200, 20), writesPerSecond: 300, padding: 16384 }, 'watchscope-scenario/slow-writer');
    const slow = new SlowReader(t, { path: podsPath(), userAgent: UA, holdMs: 120_000, readBeforeHold: 1, readMs: 60_000 });
    let maxFill = { inputLen: 0, resultLen: 0, capacity: 0, capacityRule: '' };
    try {
      await writer.burst(scaled(ctx, 50, 10), 'create');
      slow.start();
      await waitFor(() => slow.stats().holds > 0, 10_000);
      const t0 = Date.now();
      writer.start();
      ctx.report?.('reader paused; buffers filling');
      await waitFor(() => {
        for (const w of liveWatchers(ctx, (x) => x.userAgent === UA)) {
          if (w.inputLen + w.resultLen >= maxFill.inputLen + maxFill.resultLen) {
            maxFill = { inputLen: w.inputLen, resultLen: w.resultLen, capacity: w.capacity, capacityRule: w.capacityRule };
          }
        }
        return closedWatchers(ctx, t0, (w) => w.userAgent === UA).length > 0;
      }, 100_000, 50);
      await writer.stop();
      // Loopback socket buffers can hold megabytes, so the reader pauses for long; once the
      // cacher has closed it, let it read again and notice.
      slow.releaseHold();
      const closed = closedWatchers(ctx, t0, (w) => w.userAgent === UA);
      ctx.report?.('waiting for the reader to notice and re-watch');
      await waitFor(() => slow.stats().watches > 1, 20_000);
      const rewatched = liveWatchers(ctx, (w) => w.userAgent === UA);
      const s = slow.stats();
      const closeReason = closed[0]?.closeReason ?? 'none';
      const signature = {
        closeReason,
        maxInputLen: maxFill.inputLen,
        maxResultLen: maxFill.resultLen,
        capacity: maxFill.capacity || closed[0]?.capacity || 0,
        capacityRule: maxFill.capacityRule || closed[0]?.capacityRule || '',
        forcedCloses: s.forcedCloses,
        rewatched: s.watches > 1,
        rewatchStartRV: rewatched[0]?.startResourceVersion ?? '',
        lastReadRV: s.lastResourceVersion,
      };
      return {
        ok: closeReason === 'bufferFull' && s.watches > 1,
        signature,
        summary:
          `The paused watcher reached input ${maxFill.inputLen}/result ${maxFill.resultLen} of capacity ${signature.capacity} ` +
          `(${signature.capacityRule}) and was closed (${closeReason}); the client re-watched ${s.watches - 1} time(s).`,
      };
    } finally {
      await Promise.allSettled([slow.stop(), writer.stop()]);
      writer.set({ padding: 0 });
      await writer.deleteAll().catch(() => undefined);
      await t.close();
    }
  },
};
