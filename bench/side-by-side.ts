// Side by side with the real kube-apiserver v1.36 (the build in ../shared/kube/): each server on
// its own fresh etcd (same version, same flags, progress notify 5 s), both loaded with the same
// ~1 KB ConfigMaps written straight into etcd, and the same workload read through both over HTTPS
// with a bearer token, one figure at a time, alternating which server goes first. The watch
// clients and the writer run in processes of their own; CPU and RSS are the server process's own,
// from /proc. Each figure is the median of `runs` runs, with its ratio watchscope ÷ kube-apiserver
// (median of the per-run ratios): below 1.0, watchscope is faster or smaller.
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startEtcd, type EtcdProcess } from '../main/storage/etcd/process.js';
import { EtcdSource } from '../main/storage/etcd/source.js';
import { encodeJSON } from '../main/storage/etcd/codec.js';
import { startKube136 } from '../main/storage/kube/testing/kube-1.36.js';
import { benchDir, configMapKey, fmt, loadObjects, procCpuSeconds, procMemory, resetPeakRss, sleep, stat, stampedConfigMap, writeResults, type BenchRow, type Stat } from './lib.js';
import { getAll } from './list.js';
import { spawnWriter, type WriterProcess } from './writer.js';
import type { SideClientMessage, SideClientRequest, SideTarget } from './side-client-child.js';
import type { SideServerMessage, SideServerRequest } from './side-server-child.js';

export interface FanoutLoad {
  watchers: number;
  eventsPerSec: number;
}

export interface SideBySideOptions {
  /** ConfigMaps loaded into each etcd before the servers start. */
  objects: number;
  /** Objects per namespace (ns-0, ns-1, …); the initial-state watchers read one namespace. */
  perNamespace: number;
  fanout: FanoutLoad[];
  /** How long the writer runs at each fan-out load. */
  fanoutSeconds: number;
  /** LISTs of everything per run: resourceVersion=0 and consistent (resourceVersion unset). */
  listsRv0: number;
  listsConsistent: number;
  initialWatchers: number;
  /** Writes flat out for the ingest figure. */
  ingestEvents: number;
  runs: number;
  /** Write a V8 CPU profile of the watchscope server into this directory. */
  cpuProfDir?: string;
  /** Which groups of figures to measure (all when absent). */
  only?: FigureGroup[];
  log?: (line: string) => void;
}

export const FULL: SideBySideOptions = {
  objects: 50_000,
  perNamespace: 10_000,
  fanout: [
    { watchers: 100, eventsPerSec: 200 },
    { watchers: 100, eventsPerSec: 1000 },
    { watchers: 1000, eventsPerSec: 100 },
  ],
  fanoutSeconds: 10,
  listsRv0: 7,
  listsConsistent: 5,
  initialWatchers: 100,
  ingestEvents: 20_000,
  runs: 3,
};

/** Every figure at a scale that runs in a minute or two: proves the harness, not the speed. */
export const SMOKE: SideBySideOptions = {
  objects: 2000,
  perNamespace: 1000,
  fanout: [
    { watchers: 10, eventsPerSec: 50 },
    { watchers: 10, eventsPerSec: 200 },
    { watchers: 40, eventsPerSec: 20 },
  ],
  fanoutSeconds: 2,
  listsRv0: 3,
  listsConsistent: 3,
  initialWatchers: 10,
  ingestEvents: 2000,
  runs: 1,
};

export const FIGURE_GROUPS = ['fanout', 'list', 'initial', 'ingest'] as const;
export type FigureGroup = (typeof FIGURE_GROUPS)[number];

/**
 * Command-line overrides of a preset: `--only fanout,list` (groups), `--runs N`, `--seconds N`
 * (fan-out duration), `--objects N`, `--loads 0,2` (which fan-out loads, by index).
 */
export function sideBySideArgs(args: string[], base: SideBySideOptions): SideBySideOptions {
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return v;
  };
  const count = (flag: string) => {
    const v = value(flag);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive whole number, not ${JSON.stringify(v)}`);
    return n;
  };
  const o: SideBySideOptions = { ...base };
  const only = value('--only');
  if (only !== undefined) {
    const groups = only.split(',');
    for (const g of groups) if (!(FIGURE_GROUPS as readonly string[]).includes(g)) throw new Error(`--only takes ${FIGURE_GROUPS.join(', ')}, not ${JSON.stringify(g)}`);
    o.only = groups as FigureGroup[];
  }
  const loads = value('--loads');
  if (loads !== undefined) {
    o.fanout = loads.split(',').map((x) => {
      const l = base.fanout[Number(x)];
      if (!/^\d+$/.test(x) || !l) throw new Error(`--loads takes indexes 0..${base.fanout.length - 1}, not ${JSON.stringify(x)}`);
      return l;
    });
  }
  o.runs = count('--runs') ?? o.runs;
  o.fanoutSeconds = count('--seconds') ?? o.fanoutSeconds;
  o.objects = count('--objects') ?? o.objects;
  o.perNamespace = Math.min(o.perNamespace, o.objects);
  return o;
}

export type ServerName = 'kube-apiserver' | 'watchscope';
export const SERVERS: readonly ServerName[] = ['kube-apiserver', 'watchscope'];

/** One figure: a sample per run for each server, lower is better for all of them. */
export interface Figure {
  id: string;
  name: string;
  unit: string;
  samples: Record<ServerName, number[]>;
}

export interface SideBySideResult {
  figures: Figure[];
  /** Events a watcher should have received and did not (per server, summed over runs). */
  undelivered: Record<ServerName, number>;
  /** Watches the server closed before they had every event (a watcher it found too slow). */
  closedByServer: Record<ServerName, number>;
  /** Watches still open and missing events when the wait ended (minutes after the last write). */
  shortOnOpenWatch: Record<ServerName, number>;
  options: SideBySideOptions;
}

interface Server extends SideTarget {
  name: ServerName;
  pid: number;
  etcd: EtcdProcess;
  /** watchscope only: restart / read its event-loop delay histogram. */
  loopDelay?: { reset(): void; read(): Promise<{ p50: number; p99: number; max: number }> };
  stop(): Promise<void>;
}

async function startKubeApiserver(etcd: EtcdProcess): Promise<Server> {
  const k = await startKube136(etcd.endpoint);
  return { name: 'kube-apiserver', url: k.server, token: k.token, caPem: k.ca.toString('utf8'), pid: k.pid, etcd, stop: () => k.stop() };
}

async function startWatchscope(etcd: EtcdProcess, cpuProfDir?: string): Promise<Server> {
  const execArgv = ['--import', 'tsx', ...(cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [])];
  const child = fork(join(benchDir, 'side-server-child.ts'), [etcd.endpoint, '1.34'], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<Extract<SideServerMessage, { type: 'ready' }>>((resolve, reject) => {
    child.once('message', (m: SideServerMessage) => (m.type === 'ready' ? resolve(m) : reject(new Error(`watchscope server: ${JSON.stringify(m)}`))));
    child.once('exit', (code) => reject(new Error(`watchscope server exited early (${code})`)));
  });
  return {
    name: 'watchscope',
    url: ready.url,
    token: ready.token,
    caPem: ready.caPem,
    pid: child.pid!,
    etcd,
    loopDelay: {
      reset: () => child.send({ type: 'loop-reset' } satisfies SideServerRequest),
      read: () =>
        new Promise((resolve) => {
          const on = (m: SideServerMessage) => {
            if (m.type !== 'loop') return;
            child.off('message', on);
            resolve(m);
          };
          child.on('message', on);
          child.send({ type: 'loop' } satisfies SideServerRequest);
        }),
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ type: 'close' });
      await Promise.race([exited, sleep(15_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

interface Client {
  child: ChildProcess;
  ask(m: SideClientRequest, until: SideClientMessage['type']): Promise<SideClientMessage>;
  send(m: SideClientRequest): void;
  close(): Promise<void>;
}

function startClient(): Client {
  const child = fork(join(benchDir, 'side-client-child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const wait = (type: SideClientMessage['type']) =>
    new Promise<SideClientMessage>((resolve, reject) => {
      const on = (m: SideClientMessage) => {
        if (m.type !== type && m.type !== 'error') return;
        child.off('message', on);
        child.off('exit', onExit);
        if (m.type === 'error') reject(new Error(`watch client: ${m.message}`));
        else resolve(m);
      };
      const onExit = (code: number | null) => reject(new Error(`watch client exited (${code})`));
      child.on('message', on);
      child.once('exit', onExit);
    });
  return {
    child,
    ask(m, type) {
      const p = wait(type);
      child.send(m);
      return p;
    },
    send: (m) => child.send(m),
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.disconnect();
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

const target = (s: Server): SideTarget => ({ url: s.url, token: s.token, caPem: s.caPem });
const cpuMs = (pid: number) => procCpuSeconds(pid) * 1000;

interface FanoutResult {
  p50: number;
  p99: number;
  cpuPer1k: number;
  rssPeak: number;
  undelivered: number;
  /** Watches the server ended before the writer's last event reached them. */
  closedByServer: number;
  /** Watches still open that lack events when the wait ended: events lost without a close. */
  shortOnOpenWatch: number;
  /** watchscope: its event-loop delay during the load, ms. */
  loopDelay?: { p50: number; p99: number; max: number };
}

async function fanout(s: Server, client: Client, writer: WriterProcess, load: FanoutLoad, seconds: number, ns: string): Promise<FanoutResult> {
  const events = Math.round(load.eventsPerSec * seconds);
  // As an informer does: list, then watch from the list's resourceVersion with bookmarks.
  const rv = await cacheRevision(s, ns);
  const path = `/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true`;
  const watching = client.ask({ type: 'fanout', target: target(s), watchers: load.watchers, path, expect: events, timeoutMs: seconds * 1000 + 120_000 }, 'watching');
  await watching;
  // Let connection setup settle so only the steady state is measured.
  await sleep(1000);
  resetPeakRss(s.pid);
  s.loopDelay?.reset();
  const cpu0 = cpuMs(s.pid);
  const done = new Promise<SideClientMessage>((resolve, reject) => {
    const on = (m: SideClientMessage) => {
      if (m.type === 'fanout' || m.type === 'error') {
        client.child.off('message', on);
        if (m.type === 'error') reject(new Error(m.message));
        else resolve(m);
      }
    };
    client.child.on('message', on);
  });
  client.send({ type: 'go' });
  const w = await writer.run({ endpoint: s.etcd.endpoint, kind: 'configmap', namespace: ns, namespaces: 1, keys: 1000, concurrency: 64, count: events, ratePerSec: load.eventsPerSec });
  if (w.errors) throw new Error(`writer saw ${w.errors} errors`);
  const r = (await done) as Extract<SideClientMessage, { type: 'fanout' }>;
  const cpu = cpuMs(s.pid) - cpu0;
  const loop = await s.loopDelay?.read();
  const deliveries = r.latencies;
  return { p50: r.p50, p99: r.p99, cpuPer1k: cpu / (deliveries / 1000), rssPeak: procMemory(s.pid).hwm, undelivered: load.watchers * events - deliveries, closedByServer: r.closedEarly, shortOnOpenWatch: r.shortOnOpenWatch, ...(loop ? { loopDelay: loop } : {}) };
}

async function lists(s: Server, rounds: number, path: string, minItems: number): Promise<number[]> {
  const warm = await getAll(target(s), path, true);
  if (warm.status !== 200) throw new Error(`${s.name}: LIST ${path} answered ${warm.status}: ${warm.body?.slice(0, 300)}`);
  const n = (JSON.parse(warm.body!) as { items: unknown[] }).items.length;
  if (n < minItems) throw new Error(`${s.name}: LIST ${path} returned ${n} items, expected at least ${minItems}`);
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const g = await getAll(target(s), path, false);
    if (g.status !== 200) throw new Error(`${s.name}: LIST ${path} answered ${g.status}`);
    ms.push(g.ms);
  }
  return ms;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};

/** The resourceVersion a resourceVersion=0 LIST of one namespace answers with (the cache's). */
async function cacheRevision(s: Server, ns = 'nothing-here'): Promise<number> {
  const g = await getAll(target(s), `/api/v1/namespaces/${ns}/configmaps?resourceVersion=0`, true);
  if (g.status !== 200) throw new Error(`${s.name}: LIST answered ${g.status}: ${g.body?.slice(0, 200)}`);
  return Number((JSON.parse(g.body!) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
}

async function ingest(s: Server, writer: WriterProcess, events: number, ns: string): Promise<number> {
  const cpu0 = cpuMs(s.pid);
  const w = await writer.run({ endpoint: s.etcd.endpoint, kind: 'configmap', namespace: ns, namespaces: 1, keys: events, concurrency: 64, count: events });
  if (w.errors) throw new Error(`writer saw ${w.errors} errors`);
  const end = Date.now() + 120_000;
  while ((await cacheRevision(s)) < w.lastRevision) {
    if (Date.now() > end) throw new Error(`${s.name}: cache did not reach revision ${w.lastRevision}`);
    await sleep(50);
  }
  return (cpuMs(s.pid) - cpu0) / (events / 1000);
}

async function loadEtcd(etcd: EtcdProcess, o: SideBySideOptions): Promise<void> {
  const src = await EtcdSource.connect({ endpoints: [etcd.endpoint] });
  try {
    await loadObjects(src.client, o.objects, (i) => {
      const ns = `ns-${Math.floor(i / o.perNamespace)}`;
      const name = `cm-${String(i).padStart(6, '0')}`;
      return { key: configMapKey(ns, name), value: encodeJSON(stampedConfigMap(ns, name, i, 0)) };
    });
  } finally {
    await src.close();
  }
}

export async function runSideBySide(o: SideBySideOptions): Promise<SideBySideResult> {
  const log = o.log ?? ((l: string) => console.log(`[side-by-side] ${l}`));
  const figures: Figure[] = [];
  const figure = (id: string, name: string, unit: string): Figure => {
    let f = figures.find((x) => x.id === id);
    if (!f) figures.push((f = { id, name, unit, samples: { 'kube-apiserver': [], watchscope: [] } }));
    return f;
  };
  const undelivered: Record<ServerName, number> = { 'kube-apiserver': 0, watchscope: 0 };
  const closedByServer: Record<ServerName, number> = { 'kube-apiserver': 0, watchscope: 0 };
  const shortOnOpenWatch: Record<ServerName, number> = { 'kube-apiserver': 0, watchscope: 0 };
  const servers: Server[] = [];
  const etcds: EtcdProcess[] = [];
  let writer: WriterProcess | undefined;
  let client: Client | undefined;
  try {
    for (let i = 0; i < 2; i++) etcds.push(await startEtcd({ progressNotifyInterval: '5s', extraArgs: ['--quota-backend-bytes', String(4 * 1024 ** 3)] }));
    log(`loading ${fmt(o.objects)} ConfigMaps into each etcd`);
    await Promise.all(etcds.map((e) => loadEtcd(e, o)));
    servers.push(await startKubeApiserver(etcds[0]!));
    servers.push(await startWatchscope(etcds[1]!, o.cpuProfDir));
    log(`kube-apiserver pid ${servers[0]!.pid} at ${servers[0]!.url}; watchscope pid ${servers[1]!.pid} at ${servers[1]!.url}`);
    writer = await spawnWriter();
    client = startClient();
    const namespaces = Math.ceil(o.objects / o.perNamespace);
    const measures = (g: FigureGroup) => !o.only || o.only.includes(g);
    for (let run = 0; run < o.runs; run++) {
      const order = run % 2 ? [...servers].reverse() : servers;
      log(`run ${run + 1}/${o.runs} (load average ${loadavg()[0]!.toFixed(1)})`);
      for (const [li, load] of measures('fanout') ? o.fanout.entries() : []) {
        const label = `${fmt(load.watchers)} watchers × ${fmt(load.eventsPerSec)} ev/s`;
        for (const s of order) {
          const r = await fanout(s, client, writer, load, o.fanoutSeconds, `fan-${run}-${li}`);
          log(`  fan-out ${label}, ${s.name}: p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, CPU ${fmt(r.cpuPer1k)} ms per 1k deliveries, RSS peak ${fmt(r.rssPeak / 1024 ** 2)} MiB${r.loopDelay ? `, event-loop delay p50/p99/max ${fmt(r.loopDelay.p50)}/${fmt(r.loopDelay.p99)}/${fmt(r.loopDelay.max)} ms` : ''}${r.undelivered ? `, ${r.undelivered} NOT DELIVERED (${r.closedByServer} watches closed by the server)` : ''}`);
          figure(`fanout-${li}-p50`, `fan-out ${label}: propagation p50`, 'ms').samples[s.name].push(r.p50);
          figure(`fanout-${li}-p99`, `fan-out ${label}: propagation p99`, 'ms').samples[s.name].push(r.p99);
          figure(`fanout-${li}-cpu`, `fan-out ${label}: server CPU per 1k deliveries`, 'ms').samples[s.name].push(r.cpuPer1k);
          figure(`fanout-${li}-rss`, `fan-out ${label}: server RSS peak`, 'MiB').samples[s.name].push(r.rssPeak / 1024 ** 2);
          undelivered[s.name] += r.undelivered;
          closedByServer[s.name] += r.closedByServer;
          shortOnOpenWatch[s.name] += r.shortOnOpenWatch;
        }
      }
      for (const s of measures('list') ? order : []) {
        const rv0 = await lists(s, o.listsRv0, '/api/v1/configmaps?resourceVersion=0', o.objects);
        const consistent = await lists(s, o.listsConsistent, '/api/v1/configmaps', o.objects);
        log(`  LIST ${fmt(o.objects)}, ${s.name}: RV=0 p50 ${fmt(quantile(rv0, 0.5))} ms, consistent p50 ${fmt(quantile(consistent, 0.5))} ms`);
        figure('list-rv0-p50', `LIST resourceVersion=0, ${fmt(o.objects)}: p50`, 'ms').samples[s.name].push(quantile(rv0, 0.5));
        figure('list-rv0-p95', `LIST resourceVersion=0, ${fmt(o.objects)}: p95`, 'ms').samples[s.name].push(quantile(rv0, 0.95));
        figure('list-consistent-p50', `LIST consistent (etcd), ${fmt(o.objects)}: p50`, 'ms').samples[s.name].push(quantile(consistent, 0.5));
        figure('list-consistent-p95', `LIST consistent (etcd), ${fmt(o.objects)}: p95`, 'ms').samples[s.name].push(quantile(consistent, 0.95));
      }
      for (const s of measures('initial') ? order : []) {
        const ns = `ns-${run % namespaces}`;
        const path = `/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=0`;
        const r = (await client.ask({ type: 'initial', target: target(s), watchers: o.initialWatchers, path, expect: o.perNamespace, timeoutMs: 300_000 }, 'initial')) as Extract<SideClientMessage, { type: 'initial' }>;
        const missing = o.initialWatchers * o.perNamespace - Math.min(r.counts.min, o.perNamespace) * o.initialWatchers;
        log(`  ${o.initialWatchers} new watchers × ${fmt(o.perNamespace)} objects, ${s.name}: ${fmt(r.ms)} ms${missing ? `, ${missing} NOT DELIVERED` : ''}`);
        figure('initial', `${fmt(o.initialWatchers)} new watchers × ${fmt(o.perNamespace)} objects initial state: all done`, 'ms').samples[s.name].push(r.ms);
        undelivered[s.name] += missing;
        closedByServer[s.name] += r.closedEarly;
        shortOnOpenWatch[s.name] += r.shortOnOpenWatch;
      }
      for (const s of measures('ingest') ? order : []) {
        const cpu = await ingest(s, writer, o.ingestEvents, `ingest-${run}`);
        log(`  ingest ${fmt(o.ingestEvents)} writes flat out, ${s.name}: ${fmt(cpu)} ms CPU per 1k events`);
        figure('ingest-cpu', 'ingest at etcd\'s max rate: server CPU per 1k events', 'ms').samples[s.name].push(cpu);
      }
    }
  } finally {
    await client?.close();
    await writer?.close();
    for (const s of servers) await s.stop().catch(() => undefined);
    for (const e of etcds) await e.stop().catch(() => undefined);
  }
  return { figures, undelivered, closedByServer, shortOnOpenWatch, options: o };
}

export const ratioStat = (f: Figure): Stat => stat(f.samples.watchscope.map((w, i) => w / f.samples['kube-apiserver'][i]!));

export function printSideBySide(r: SideBySideResult): void {
  const head = ['figure', 'kube-apiserver 1.36', 'watchscope', 'ratio ws ÷ kube'];
  const cell = (xs: number[], unit: string) => {
    const s = stat(xs);
    return xs.length > 1 ? `${fmt(s.median)} ${unit} [${fmt(s.min)}..${fmt(s.max)}]` : `${fmt(s.median)} ${unit}`;
  };
  const body = r.figures.map((f) => {
    const q = ratioStat(f);
    return [f.name, cell(f.samples['kube-apiserver'], f.unit), cell(f.samples.watchscope, f.unit), f.samples.watchscope.length > 1 ? `${fmt(q.median)} [${fmt(q.min)}..${fmt(q.max)}]` : fmt(q.median)];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log('');
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
  console.log(`\nmedian of ${r.options.runs} run(s) [min..max]; ${fmt(r.options.objects)} ConfigMaps of ~1 KB; fan-out ${r.options.fanoutSeconds} s per load; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`events not delivered: kube-apiserver ${r.undelivered['kube-apiserver']}, watchscope ${r.undelivered.watchscope}`);
  console.log(`watches closed by the server: kube-apiserver ${r.closedByServer['kube-apiserver']}, watchscope ${r.closedByServer.watchscope} (latencies count delivered events only)`);
}

export function sideBySideRows(r: SideBySideResult): BenchRow[] {
  return r.figures.map((f) => {
    const ratio = ratioStat(f);
    return {
      id: `side-${f.id}`,
      name: f.name,
      ratioOf: 'watchscope ÷ kube-apiserver 1.36 (same machine, workload and etcd flags)',
      ratio,
      target: '≤ 1.0',
      verdict: Number.isFinite(ratio.median) ? (ratio.median <= 1 ? 'pass' : 'fail') : 'not measured',
      details: {
        [`kube-apiserver (${f.unit})`]: f.samples['kube-apiserver'].map((x) => fmt(x)).join(', '),
        [`watchscope (${f.unit})`]: f.samples.watchscope.map((x) => fmt(x)).join(', '),
        'events not delivered (kube-apiserver / watchscope)': `${r.undelivered['kube-apiserver']} / ${r.undelivered.watchscope}`,
        'watches closed by the server (kube-apiserver / watchscope)': `${r.closedByServer['kube-apiserver']} / ${r.closedByServer.watchscope}`,
      },
    };
  });
}

export async function runSideBySideAndReport(o: SideBySideOptions): Promise<SideBySideResult> {
  const r = await runSideBySide(o);
  printSideBySide(r);
  writeResults(sideBySideRows(r));
  return r;
}
