// 2. CPU of serving 200 watchers: the same N writes observed by 200 watchers, once through the
// cacher (one etcd watch fanned out in process, as upstream's Cacher does) and once as 200 raw
// etcd watch streams (what each client watching etcd directly would cost). CPU counted: this
// process + the etcd server; the writer runs in its own process and is not counted.
import { loadavg } from 'node:os';
import { startEtcd, type EtcdProcess } from '../main/storage/etcd/process.js';
import { EtcdSource } from '../main/storage/etcd/source.js';
import type { SourceWatch } from '../main/storage/source.js';
import { attachWatchers, podsCacher } from './pods-cacher.js';
import { spawnWriter, type WriterProcess } from './writer.js';
import { fmt, procCpuSeconds, runAlone, selfCpuSeconds, sleep, stat, until, verdict, type BenchRow } from './lib.js';

export interface CpuOptions {
  watchers?: number;
  events?: number;
  rounds?: number;
}

type Mode = 'cacher' | 'raw' | 'none';

interface Part {
  self: number;
  etcd: number;
  total: number;
  ms: number;
}

async function measure(mode: Mode, etcd: EtcdProcess, writer: WriterProcess, nWatchers: number, nEvents: number): Promise<Part> {
  const source = await EtcdSource.connect({ endpoints: [etcd.endpoint] });
  const cacher = mode === 'cacher' ? podsCacher(source) : undefined;
  const raw: { watch: SourceWatch; events: number; lastRV: number }[] = [];
  try {
    const startRev = await source.currentRevision('/registry/pods/');
    let delivered: () => boolean = () => true;
    if (cacher) {
      cacher.start();
      await cacher.waitReady();
      const ws = attachWatchers(cacher, nWatchers);
      delivered = () => ws.every((w) => w.events >= nEvents);
    } else if (mode === 'raw') {
      for (let i = 0; i < nWatchers; i++) {
        const r = { watch: undefined as unknown as SourceWatch, events: 0, lastRV: 0 };
        r.watch = source.watch('/registry/pods/', startRev, {
          onEvents: (evs) => {
            r.events += evs.length;
            r.lastRV = evs[evs.length - 1]!.resourceVersion;
          },
          onProgress: () => undefined,
          onEnd: () => undefined,
        });
        raw.push(r);
      }
      delivered = () => raw.every((r) => r.events >= nEvents);
    }
    // Let watch creation and the list settle so only the steady-state cost is measured.
    await sleep(500);
    const s0 = selfCpuSeconds();
    const e0 = procCpuSeconds(etcd.pid);
    const t0 = performance.now();
    const w = await writer.run({ endpoint: etcd.endpoint, concurrency: 64, count: nEvents, keys: 2000, namespaces: 4 });
    if (w.errors) throw new Error(`writer saw ${w.errors} errors`);
    try {
      await until(delivered, 60_000, `${mode} watchers to receive ${nEvents} events`, 10);
    } catch (e) {
      const got = mode === 'raw' ? raw.map((r) => r.events) : [];
      throw new Error(`${(e as Error).message} (raw watch events min ${Math.min(...got)} max ${Math.max(...got)})`);
    }
    const ms = performance.now() - t0;
    const self = selfCpuSeconds() - s0;
    const etcdCpu = procCpuSeconds(etcd.pid) - e0;
    return { self, etcd: etcdCpu, total: self + etcdCpu, ms };
  } finally {
    for (const r of raw) r.watch.stop();
    await cacher?.stop();
    await source.close();
  }
}

export async function runCpu(o: CpuOptions = {}): Promise<BenchRow[]> {
  const nWatchers = o.watchers ?? 200;
  const nEvents = o.events ?? 500;
  const rounds = o.rounds ?? 3;
  const etcd = await startEtcd();
  const writer = await spawnWriter();
  const parts: Record<Mode, Part[]> = { cacher: [], raw: [], none: [] };
  const load0 = loadavg()[0]!;
  try {
    // Interleaved so drifting background load hits every mode alike.
    for (let i = 0; i < rounds; i++) {
      for (const mode of ['none', 'cacher', 'raw'] as Mode[]) parts[mode].push(await measure(mode, etcd, writer, nWatchers, nEvents));
    }
  } finally {
    await writer.close();
    await etcd.stop();
  }
  const ratios = parts.cacher.map((c, i) => c.total / parts.raw[i]!.total);
  // The same ratio with the cost of the writes themselves (no watcher at all) taken out of both.
  const netRatios = parts.cacher.map((c, i) => (c.total - parts.none[i]!.total) / (parts.raw[i]!.total - parts.none[i]!.total));
  const ratio = stat(ratios);
  const show = (ps: Part[], k: keyof Part) => {
    const s = stat(ps.map((p) => p[k]));
    return `${fmt(s.median)} s [${fmt(s.min)}..${fmt(s.max)}]`;
  };
  return [
    {
      id: '2',
      name: `CPU of serving ${nWatchers} watchers`,
      ratioOf: `CPU (this process + etcd) for ${nEvents} writes with ${nWatchers} cacheWatchers on one etcd watch ÷ with ${nWatchers} raw etcd watches`,
      ratio,
      target: '≤ 0.1',
      verdict: verdict(ratio, (x) => x <= 0.1),
      details: {
        'cacher: total CPU': show(parts.cacher, 'total'),
        'cacher: this process': show(parts.cacher, 'self'),
        'cacher: etcd': show(parts.cacher, 'etcd'),
        'raw etcd watches: total CPU': show(parts.raw, 'total'),
        'raw etcd watches: this process': show(parts.raw, 'self'),
        'raw etcd watches: etcd': show(parts.raw, 'etcd'),
        'no watchers (cost of the writes alone): total CPU': show(parts.none, 'total'),
        'net ratio (each minus the no-watcher run)': `${fmt(stat(netRatios).median)} [${fmt(stat(netRatios).min)}..${fmt(stat(netRatios).max)}]`,
        'wall time cacher / raw': `${show(parts.cacher, 'ms').replace(/ s/g, ' ms')} / ${show(parts.raw, 'ms').replace(/ s/g, ' ms')}`,
        rounds: `${rounds} (modes interleaved), writer concurrency 64 in a child process (not counted)`,
        'load average (1 min) at start': fmt(load0),
      },
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) await runAlone(() => runCpu());
