// 1. Cacher ingest under max write load: with 1,000 cacheWatchers attached and drained, does the
// cacher keep up with everything etcd commits while a writer saturates etcd? Ratio: events the
// cacher dispatched per second ÷ puts etcd committed per second, over the same window.
import { startEtcd } from '../main/storage/etcd/process.js';
import { EtcdSource } from '../main/storage/etcd/source.js';
import { attachWatchers, podsCacher } from './pods-cacher.js';
import { spawnWriter } from './writer.js';
import { fmt, runAlone, sleep, stat, until, verdict, type BenchRow } from './lib.js';

export interface IngestOptions {
  watchers?: number;
  windows?: number;
  windowMs?: number;
  warmupMs?: number;
  concurrency?: number;
}

export async function runIngest(o: IngestOptions = {}): Promise<BenchRow[]> {
  const nWatchers = o.watchers ?? 1000;
  const windows = o.windows ?? 3;
  const windowMs = o.windowMs ?? 5000;
  const warmupMs = o.warmupMs ?? 2000;
  const etcd = await startEtcd({ progressNotifyInterval: '1s' });
  const source = await EtcdSource.connect({ endpoints: [etcd.endpoint] });
  const cacher = podsCacher(source);
  const writer = await spawnWriter();
  try {
    cacher.start();
    await cacher.waitReady();
    const watchers = attachWatchers(cacher, nWatchers);
    const job = writer.run({ endpoint: etcd.endpoint, concurrency: o.concurrency ?? 64, keys: 5000, namespaces: 4 });
    await sleep(warmupMs);

    const dispatchRatio: number[] = [];
    const applyRatio: number[] = [];
    const deliverRatio: number[] = [];
    const etcdRate: number[] = [];
    const cacheRate: number[] = [];
    const lagAtEnd: number[] = [];
    const sample = async () => {
      const rev = await source.currentRevision('/registry/pods/');
      const t = performance.now();
      let minEvents = Infinity;
      for (const w of watchers) if (w.events < minEvents) minEvents = w.events;
      return { rev, t, cacheRV: cacher.resourceVersion, dispatched: cacher.counters.eventsDispatched, minEvents };
    };
    for (let i = 0; i < windows; i++) {
      const a = await sample();
      await sleep(windowMs);
      const b = await sample();
      const secs = (b.t - a.t) / 1000;
      const committed = b.rev - a.rev;
      dispatchRatio.push((b.dispatched - a.dispatched) / committed);
      applyRatio.push((b.cacheRV - a.cacheRV) / committed);
      deliverRatio.push((b.minEvents - a.minEvents) / committed);
      etcdRate.push(committed / secs);
      cacheRate.push((b.dispatched - a.dispatched) / secs);
      lagAtEnd.push(b.rev - b.cacheRV);
    }
    writer.stop();
    const w = await job;
    // Everything written must arrive in the end; a watcher that lost events would not reach it.
    await until(() => cacher.resourceVersion >= w.lastRevision, 30_000, 'cache to reach the last write');
    const closed = cacher.closedWatchers();
    const live = watchers.filter((x) => !closed.some((c) => c.id === x.handle.id));
    await until(() => live.every((x) => x.lastRV >= w.lastRevision), 30_000, 'every live watcher to read the last write');
    const info = cacher.info();

    const ratio = stat(dispatchRatio);
    return [
      {
        id: '1',
        name: `cacher ingest, ${nWatchers} watchers, etcd saturated`,
        ratioOf: 'cacher events dispatched/s ÷ etcd committed puts/s (same window)',
        ratio,
        target: '≥ 0.99',
        verdict: verdict(ratio, (x) => x >= 0.99),
        details: {
          'etcd committed puts/s': fmt(stat(etcdRate).median) + ` [${fmt(stat(etcdRate).min)}..${fmt(stat(etcdRate).max)}]`,
          'cacher dispatched events/s': fmt(stat(cacheRate).median) + ` [${fmt(stat(cacheRate).min)}..${fmt(stat(cacheRate).max)}]`,
          'applied to watchCache ÷ committed': stat(applyRatio).median,
          'read by the slowest watcher ÷ committed': stat(deliverRatio).median,
          'cache lag at window end (revisions), per window': lagAtEnd.join(', '),
          'watchers terminated (bufferFull etc.)': closed.length,
          'writer puts (errors)': `${w.puts} (${w.errors}) in ${fmt(w.ms / 1000)} s, concurrency ${o.concurrency ?? 64}`,
          'windows × length': `${windows} × ${windowMs} ms after ${warmupMs} ms warm-up`,
          'events dispatched total': info.counters.eventsDispatched,
        },
      },
    ];
  } finally {
    writer.stop();
    await writer.close();
    await cacher.stop();
    await source.close();
    await etcd.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runAlone(() => runIngest());
