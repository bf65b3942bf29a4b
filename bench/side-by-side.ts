// Side by side with the real kube-apiserver v1.36 (the build in ../shared/kube/): each server on
// its own fresh etcd (same version, same flags, progress notify 5 s), both loaded with the same
// ~1 KB ConfigMaps written straight into etcd, and the same workload read through both over HTTPS
// with a bearer token, one figure at a time, alternating which server goes first. The watch
// clients and the writer run in processes of their own; CPU and RSS are the server process's own,
// from /proc, and the client's CPU is printed beside each figure. A run where either server closed
// a watch or did not deliver an event does not count. Each figure is the median of the counted
// runs, with its ratio watchscope ÷ kube-apiserver (median of the per-run ratios): below 1.0,
// watchscope is faster or smaller.
import { fork, type ChildProcess } from 'node:child_process';
import { cpSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startEtcd, type EtcdProcess } from '../main/storage/etcd/process.js';
import { EtcdSource } from '../main/storage/etcd/source.js';
import { encodeJSON } from '../main/storage/etcd/codec.js';
import { startKube136 } from '../main/storage/kube/testing/kube-1.36.js';
import { benchDir, repoRoot, configMapKey, fmt, loadObjects, procCpuSeconds, procMemory, procRunQueueWaitMs, resetPeakRss, selfCpuSeconds, sleep, stat, stampedConfigMap, writeResults, type BenchRow, type Stat } from './lib.js';
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
  /** Watch-client processes the watchers are spread over (each one reads its share). */
  clients: number;
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
  clients: 1,
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
  clients: 1,
};

export const FIGURE_GROUPS = ['fanout', 'list', 'initial', 'ingest'] as const;
export type FigureGroup = (typeof FIGURE_GROUPS)[number];

/**
 * Command-line overrides of a preset: `--only fanout,list` (groups), `--runs N`, `--seconds N`
 * (fan-out duration), `--objects N`, `--loads 0,2` (which fan-out loads, by index), `--clients N`
 * (watch-client processes).
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
  o.clients = count('--clients') ?? o.clients;
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
  /**
   * The runs that count, paired by run: those where neither server closed a watch nor failed to
   * deliver an event. A run where one did describes a half-closed load, not the server.
   */
  samples: Record<ServerName, number[]>;
  /** The watch (or LIST) client's CPU in the counted runs, % of one core (its busiest process); empty when the figure has no client. */
  clientCpu: Record<ServerName, number[]>;
  /** Every run's value, counted or not. */
  measured: Record<ServerName, number[]>;
  /** Why each run that does not count was left out. */
  discarded: string[];
}

/** One server's measurement of a figure in one run. */
interface Sample {
  value: number;
  clientCpu?: number;
  /** Set when the run must not count: what the server did (closed watches, events not delivered). */
  invalid?: string;
}

export interface SideBySideResult {
  figures: Figure[];
  /** Events a watcher should have received and did not (per server, summed over runs). */
  undelivered: Record<ServerName, number>;
  /** Watches the server closed before they had every event (a watcher it found too slow). */
  closedByServer: Record<ServerName, number>;
  /** Watches still open and missing events when the wait ended (minutes after the last write). */
  shortOnOpenWatch: Record<ServerName, number>;
  /** One-minute load average at the start of each run. */
  loadAverages: number[];
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

/**
 * The watchscope server bundled as the app's build bundles it, not run through tsx: tsx keeps
 * function names by wrapping every function expression in a call, a cost per closure made on the
 * hot path that the shipped build does not pay. The etcd client reads its .proto files beside its
 * own module, so they are copied beside the bundle.
 */
async function bundleServerChild(): Promise<string> {
  const outDir = join(repoRoot, '.cache', 'bench-server');
  const outfile = join(outDir, 'side-server-child.mjs');
  const { build } = await import('esbuild');
  await build({ entryPoints: [join(benchDir, 'side-server-child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile, logLevel: 'error' });
  cpSync(join(repoRoot, 'main', 'storage', 'etcd', 'proto'), join(outDir, 'proto'), { recursive: true });
  return outfile;
}

async function startWatchscope(etcd: EtcdProcess, cpuProfDir?: string): Promise<Server> {
  const execArgv = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const child = fork(await bundleServerChild(), [etcd.endpoint, '1.34'], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
  /** The next message of this type (an error message rejects). */
  next(type: SideClientMessage['type']): Promise<SideClientMessage>;
  send(m: SideClientRequest): void;
  close(): Promise<void>;
}

function startClient(): Client {
  // 'advanced': the latencies come back as a Float64Array, not as JSON.
  const child = fork(join(benchDir, 'side-client-child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
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
    next: wait,
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
  /** The watch clients' CPU while the load ran, % of one core: the busiest process, and all of them. */
  clientCpu: ClientCpu;
  undelivered: number;
  /** Watches the server ended before the writer's last event reached them. */
  closedByServer: number;
  /** Watches still open that lack events when the wait ended: events lost without a close. */
  shortOnOpenWatch: number;
  /** watchscope: its event-loop delay during the load, ms. */
  loopDelay?: { p50: number; p99: number; max: number };
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** `n` watchers over the clients as evenly as they go; clients with none are left out. */
function spread(clients: Client[], n: number): { client: Client; watchers: number }[] {
  return clients.map((client, i) => ({ client, watchers: Math.floor(n / clients.length) + (i < n % clients.length ? 1 : 0) })).filter((x) => x.watchers > 0);
}

/** A client's CPU use over a measurement, % of one core. */
interface ClientCpu {
  /** The busiest client process. */
  max: number;
  /** All client processes together. */
  total: number;
  /** CPU milliseconds of all client processes. */
  ms: number;
  /**
   * How long the busiest process's main thread was runnable but waiting for a core, % of the
   * time: on a loaded machine a client can be starved at a low CPU figure.
   */
  waited: number;
}

/** CPU of the client processes from now until the returned function is called. */
function clientCpuMeter(clients: Client[]): () => ClientCpu {
  const t0 = performance.now();
  const cpu0 = clients.map((c) => cpuMs(c.child.pid!));
  const wait0 = clients.map((c) => procRunQueueWaitMs(c.child.pid!));
  return () => {
    const wall = performance.now() - t0;
    const used = clients.map((c, i) => cpuMs(c.child.pid!) - cpu0[i]!);
    const pct = used.map((ms) => (ms / wall) * 100);
    const busiest = pct.indexOf(Math.max(...pct));
    return { max: pct[busiest]!, total: pct.reduce((a, b) => a + b, 0), ms: used.reduce((a, b) => a + b, 0), waited: ((procRunQueueWaitMs(clients[busiest]!.child.pid!) - wait0[busiest]!) / wall) * 100 };
  };
}

async function fanout(s: Server, clients: Client[], writer: WriterProcess, load: FanoutLoad, seconds: number, ns: string): Promise<FanoutResult> {
  const events = Math.round(load.eventsPerSec * seconds);
  // As an informer does: list, then watch from the list's resourceVersion with bookmarks.
  const rv = await cacheRevision(s, ns);
  const path = `/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true`;
  const shares = spread(clients, load.watchers);
  await Promise.all(shares.map(({ client, watchers }) => client.ask({ type: 'fanout', target: target(s), watchers, path, expect: events, timeoutMs: seconds * 1000 + 120_000 }, 'watching')));
  // Let connection setup settle so only the steady state is measured.
  await sleep(1000);
  resetPeakRss(s.pid);
  s.loopDelay?.reset();
  const cpu0 = cpuMs(s.pid);
  const done = Promise.all(shares.map(({ client }) => client.next('fanout') as Promise<Extract<SideClientMessage, { type: 'fanout' }>>));
  const clientCpu = clientCpuMeter(shares.map((x) => x.client));
  for (const { client } of shares) client.send({ type: 'go' });
  const w = await writer.run({ endpoint: s.etcd.endpoint, kind: 'configmap', namespace: ns, namespaces: 1, keys: 1000, concurrency: 64, count: events, ratePerSec: load.eventsPerSec });
  if (w.errors) throw new Error(`writer saw ${w.errors} errors`);
  const rs = await done;
  const cpu = cpuMs(s.pid) - cpu0;
  const client = clientCpu();
  const loop = await s.loopDelay?.read();
  const latencies = new Float64Array(rs.reduce((n, r) => n + r.latencies.length, 0));
  let at = 0;
  for (const r of rs) {
    latencies.set(r.latencies, at);
    at += r.latencies.length;
  }
  latencies.sort();
  const deliveries = latencies.length;
  const sum = (f: (r: (typeof rs)[number]) => number) => rs.reduce((n, r) => n + f(r), 0);
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    cpuPer1k: cpu / (deliveries / 1000),
    rssPeak: procMemory(s.pid).hwm,
    clientCpu: client,
    undelivered: load.watchers * events - deliveries,
    closedByServer: sum((r) => r.closedEarly),
    shortOnOpenWatch: sum((r) => r.shortOnOpenWatch),
    ...(loop ? { loopDelay: loop } : {}),
  };
}

async function initialState(s: Server, clients: Client[], watchers: number, path: string, expect: number): Promise<{ ms: number; clientCpu: ClientCpu; missing: number; closedByServer: number; shortOnOpenWatch: number }> {
  const shares = spread(clients, watchers);
  const clientCpu = clientCpuMeter(shares.map((x) => x.client));
  const t0 = performance.now();
  const rs = (await Promise.all(shares.map(({ client, watchers }) => client.ask({ type: 'initial', target: target(s), watchers, path, expect, timeoutMs: 300_000 }, 'initial')))) as Extract<SideClientMessage, { type: 'initial' }>[];
  const ms = performance.now() - t0;
  const missing = rs.reduce((n, r, i) => n + shares[i]!.watchers * (expect - Math.min(r.counts.min, expect)), 0);
  return { ms, clientCpu: clientCpu(), missing, closedByServer: rs.reduce((n, r) => n + r.closedEarly, 0), shortOnOpenWatch: rs.reduce((n, r) => n + r.shortOnOpenWatch, 0) };
}

/** Why a run must not count, or undefined when the server closed nothing and delivered everything. */
export function invalidRun(r: { undelivered: number; closedByServer: number; shortOnOpenWatch: number }): string | undefined {
  const why = [r.closedByServer ? `closed ${fmt(r.closedByServer)} watches` : '', r.undelivered ? `${fmt(r.undelivered)} events not delivered` : '', r.shortOnOpenWatch ? `${fmt(r.shortOnOpenWatch)} open watches short of events` : ''].filter(Boolean);
  return why.length ? why.join(', ') : undefined;
}

/** Timed LISTs read by this process (its CPU over the timed rounds is the client's, % of one core). */
async function lists(s: Server, rounds: number, path: string, minItems: number): Promise<{ ms: number[]; clientCpu: number }> {
  const warm = await getAll(target(s), path, true);
  if (warm.status !== 200) throw new Error(`${s.name}: LIST ${path} answered ${warm.status}: ${warm.body?.slice(0, 300)}`);
  const n = (JSON.parse(warm.body!) as { items: unknown[] }).items.length;
  if (n < minItems) throw new Error(`${s.name}: LIST ${path} returned ${n} items, expected at least ${minItems}`);
  const ms: number[] = [];
  const t0 = performance.now();
  const cpu0 = selfCpuSeconds();
  for (let i = 0; i < rounds; i++) {
    const g = await getAll(target(s), path, false);
    if (g.status !== 200) throw new Error(`${s.name}: LIST ${path} answered ${g.status}`);
    ms.push(g.ms);
  }
  return { ms, clientCpu: ((selfCpuSeconds() - cpu0) * 1e5) / (performance.now() - t0) };
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
  const perServer = <T>(make: () => T): Record<ServerName, T> => ({ 'kube-apiserver': make(), watchscope: make() });
  /** Records one run of a figure on both servers; it counts only if neither server's run is invalid. */
  const record = (run: number, id: string, name: string, unit: string, by: Record<ServerName, Sample>) => {
    let f = figures.find((x) => x.id === id);
    if (!f) figures.push((f = { id, name, unit, samples: perServer(() => []), clientCpu: perServer(() => []), measured: perServer(() => []), discarded: [] }));
    for (const s of SERVERS) f.measured[s].push(by[s].value);
    const why = SERVERS.filter((s) => by[s].invalid).map((s) => `${s} ${by[s].invalid}`);
    if (why.length) {
      f.discarded.push(`run ${run + 1}: ${why.join('; ')}`);
      return;
    }
    for (const s of SERVERS) {
      f.samples[s].push(by[s].value);
      if (by[s].clientCpu !== undefined) f.clientCpu[s].push(by[s].clientCpu);
    }
  };
  const undelivered = perServer(() => 0);
  const closedByServer = perServer(() => 0);
  const shortOnOpenWatch = perServer(() => 0);
  const loadAverages: number[] = [];
  const servers: Server[] = [];
  const etcds: EtcdProcess[] = [];
  let writer: WriterProcess | undefined;
  const clients: Client[] = [];
  try {
    for (let i = 0; i < 2; i++) etcds.push(await startEtcd({ progressNotifyInterval: '5s', extraArgs: ['--quota-backend-bytes', String(4 * 1024 ** 3)] }));
    log(`loading ${fmt(o.objects)} ConfigMaps into each etcd`);
    await Promise.all(etcds.map((e) => loadEtcd(e, o)));
    servers.push(await startKubeApiserver(etcds[0]!));
    servers.push(await startWatchscope(etcds[1]!, o.cpuProfDir));
    log(`kube-apiserver pid ${servers[0]!.pid} at ${servers[0]!.url}; watchscope pid ${servers[1]!.pid} at ${servers[1]!.url}`);
    writer = await spawnWriter();
    for (let i = 0; i < o.clients; i++) clients.push(startClient());
    const namespaces = Math.ceil(o.objects / o.perNamespace);
    const measures = (g: FigureGroup) => !o.only || o.only.includes(g);
    const load1 = () => loadavg()[0]!.toFixed(1);
    const cpuText = (c: ClientCpu) => `client CPU ${fmt(c.max)}% of a core${clients.length > 1 ? ` (busiest of ${clients.length}; ${fmt(c.total)}% in all)` : ''}, waiting for a core ${fmt(c.waited)}% of the time`;
    for (let run = 0; run < o.runs; run++) {
      const order = run % 2 ? [...servers].reverse() : servers;
      loadAverages.push(loadavg()[0]!);
      log(`run ${run + 1}/${o.runs} (load average ${load1()})`);
      for (const [li, load] of measures('fanout') ? o.fanout.entries() : []) {
        const label = `${fmt(load.watchers)} watchers × ${fmt(load.eventsPerSec)} ev/s`;
        const rs = {} as Record<ServerName, FanoutResult>;
        for (const s of order) {
          const r = (rs[s.name] = await fanout(s, clients, writer, load, o.fanoutSeconds, `fan-${run}-${li}`));
          const invalid = invalidRun(r);
          log(`  fan-out ${label}, ${s.name}: p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, CPU ${fmt(r.cpuPer1k)} ms per 1k deliveries (client ${fmt(r.clientCpu.ms / ((load.watchers * Math.round(load.eventsPerSec * o.fanoutSeconds) - r.undelivered) / 1000))} ms), RSS peak ${fmt(r.rssPeak / 1024 ** 2)} MiB${r.loopDelay ? `, event-loop delay p50/p99/max ${fmt(r.loopDelay.p50)}/${fmt(r.loopDelay.p99)}/${fmt(r.loopDelay.max)} ms` : ''}; ${cpuText(r.clientCpu)}; load average ${load1()}${invalid ? `; NOT COUNTED: ${invalid}` : ''}`);
          undelivered[s.name] += r.undelivered;
          closedByServer[s.name] += r.closedByServer;
          shortOnOpenWatch[s.name] += r.shortOnOpenWatch;
        }
        const each = (v: (r: FanoutResult) => number) => perServerFrom((s) => ({ value: v(rs[s]), clientCpu: rs[s].clientCpu.max, invalid: invalidRun(rs[s]) }));
        record(run, `fanout-${li}-p50`, `fan-out ${label}: propagation p50`, 'ms', each((r) => r.p50));
        record(run, `fanout-${li}-p99`, `fan-out ${label}: propagation p99`, 'ms', each((r) => r.p99));
        record(run, `fanout-${li}-cpu`, `fan-out ${label}: server CPU per 1k deliveries`, 'ms', each((r) => r.cpuPer1k));
        record(run, `fanout-${li}-rss`, `fan-out ${label}: server RSS peak`, 'MiB', each((r) => r.rssPeak / 1024 ** 2));
      }
      if (measures('list')) {
        const rs = {} as Record<ServerName, { rv0: { ms: number[]; clientCpu: number }; consistent: { ms: number[]; clientCpu: number } }>;
        for (const s of order) {
          const rv0 = await lists(s, o.listsRv0, '/api/v1/configmaps?resourceVersion=0', o.objects);
          const consistent = await lists(s, o.listsConsistent, '/api/v1/configmaps', o.objects);
          rs[s.name] = { rv0, consistent };
          log(`  LIST ${fmt(o.objects)}, ${s.name}: RV=0 p50 ${fmt(quantile(rv0.ms, 0.5))} ms (client CPU ${fmt(rv0.clientCpu)}% of a core), consistent p50 ${fmt(quantile(consistent.ms, 0.5))} ms (client CPU ${fmt(consistent.clientCpu)}%); load average ${load1()}`);
        }
        const each = (which: 'rv0' | 'consistent', q: number) => perServerFrom((s) => ({ value: quantile(rs[s][which].ms, q), clientCpu: rs[s][which].clientCpu }));
        record(run, 'list-rv0-p50', `LIST resourceVersion=0, ${fmt(o.objects)}: p50`, 'ms', each('rv0', 0.5));
        record(run, 'list-rv0-p95', `LIST resourceVersion=0, ${fmt(o.objects)}: p95`, 'ms', each('rv0', 0.95));
        record(run, 'list-consistent-p50', `LIST consistent (etcd), ${fmt(o.objects)}: p50`, 'ms', each('consistent', 0.5));
        record(run, 'list-consistent-p95', `LIST consistent (etcd), ${fmt(o.objects)}: p95`, 'ms', each('consistent', 0.95));
      }
      if (measures('initial')) {
        const ns = `ns-${run % namespaces}`;
        const path = `/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=0`;
        const by = {} as Record<ServerName, Sample>;
        for (const s of order) {
          const r = await initialState(s, clients, o.initialWatchers, path, o.perNamespace);
          const invalid = invalidRun({ ...r, undelivered: r.missing });
          log(`  ${o.initialWatchers} new watchers × ${fmt(o.perNamespace)} objects, ${s.name}: ${fmt(r.ms)} ms; ${cpuText(r.clientCpu)}; load average ${load1()}${invalid ? `; NOT COUNTED: ${invalid}` : ''}`);
          by[s.name] = { value: r.ms, clientCpu: r.clientCpu.max, ...(invalid ? { invalid } : {}) };
          undelivered[s.name] += r.missing;
          closedByServer[s.name] += r.closedByServer;
          shortOnOpenWatch[s.name] += r.shortOnOpenWatch;
        }
        record(run, 'initial', `${fmt(o.initialWatchers)} new watchers × ${fmt(o.perNamespace)} objects initial state: all done`, 'ms', by);
      }
      if (measures('ingest')) {
        const by = {} as Record<ServerName, Sample>;
        for (const s of order) {
          const cpu = await ingest(s, writer, o.ingestEvents, `ingest-${run}`);
          log(`  ingest ${fmt(o.ingestEvents)} writes flat out, ${s.name}: ${fmt(cpu)} ms CPU per 1k events; load average ${load1()}`);
          by[s.name] = { value: cpu };
        }
        record(run, 'ingest-cpu', "ingest at etcd's max rate: server CPU per 1k events", 'ms', by);
      }
    }
  } finally {
    for (const c of clients) await c.close();
    await writer?.close();
    for (const s of servers) await s.stop().catch(() => undefined);
    for (const e of etcds) await e.stop().catch(() => undefined);
  }
  return { figures, undelivered, closedByServer, shortOnOpenWatch, loadAverages, options: o };
}

const perServerFrom = <T>(make: (s: ServerName) => T): Record<ServerName, T> => ({ 'kube-apiserver': make('kube-apiserver'), watchscope: make('watchscope') });

/** Median [min..max] of the per-run ratios watchscope ÷ kube-apiserver over the counted runs. */
export const ratioStat = (f: Figure): Stat => stat(f.samples.watchscope.map((w, i) => w / f.samples['kube-apiserver'][i]!));

/** The table's rows: a figure with no counted run says so instead of showing a number. */
export function sideBySideTable(r: SideBySideResult): string[][] {
  const head = ['figure', 'runs counted', 'kube-apiserver 1.36', 'watchscope', 'ratio ws ÷ kube'];
  const range = (xs: number[], unit: string) => {
    const s = stat(xs);
    return xs.length > 1 ? `${fmt(s.median)} ${unit} [${fmt(s.min)}..${fmt(s.max)}]` : `${fmt(s.median)} ${unit}`;
  };
  const cell = (f: Figure, s: ServerName) => {
    if (f.samples[s].length === 0) return 'no valid run';
    const cpu = f.clientCpu[s];
    return `${range(f.samples[s], f.unit)}${cpu.length ? ` (client ${fmt(stat(cpu).median, 2)}%)` : ''}`;
  };
  const ratioCell = (f: Figure) => {
    const q = ratioStat(f);
    if (q.samples.length === 0) return '—';
    return q.samples.length > 1 ? `${fmt(q.median)} [${fmt(q.min)}..${fmt(q.max)}]` : fmt(q.median);
  };
  const body = r.figures.map((f) => {
    const counted = f.samples.watchscope.length;
    return [f.name, `${counted} of ${f.measured.watchscope.length}`, cell(f, 'kube-apiserver'), cell(f, 'watchscope'), ratioCell(f)];
  });
  return [head, ...body];
}

export function printSideBySide(r: SideBySideResult): void {
  const [head, ...body] = sideBySideTable(r);
  const widths = head!.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log('');
  console.log(line(head!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
  console.log(`\nmedian of the counted runs of ${r.options.runs} [min..max]; a run counts when neither server closed a watch or failed to deliver an event; (client N%): the watch or LIST client's CPU, % of one core${r.options.clients > 1 ? ` (busiest of ${r.options.clients} watch-client processes)` : ''}`);
  console.log(`${fmt(r.options.objects)} ConfigMaps of ~1 KB; fan-out ${r.options.fanoutSeconds} s per load; load average at each run's start ${r.loadAverages.map((x) => x.toFixed(1)).join(', ')}, now ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`events not delivered: kube-apiserver ${r.undelivered['kube-apiserver']}, watchscope ${r.undelivered.watchscope}`);
  console.log(`watches closed by the server: kube-apiserver ${r.closedByServer['kube-apiserver']}, watchscope ${r.closedByServer.watchscope}`);
  for (const f of r.figures) for (const d of f.discarded) console.log(`not counted, ${f.name}: ${d}`);
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
        'runs counted': `${f.samples.watchscope.length} of ${f.measured.watchscope.length}`,
        [`kube-apiserver (${f.unit}, counted runs)`]: f.samples['kube-apiserver'].map((x) => fmt(x)).join(', '),
        [`watchscope (${f.unit}, counted runs)`]: f.samples.watchscope.map((x) => fmt(x)).join(', '),
        ...(f.clientCpu.watchscope.length ? { 'client CPU, % of a core (kube-apiserver / watchscope)': `${f.clientCpu['kube-apiserver'].map((x) => fmt(x, 2)).join(', ')} / ${f.clientCpu.watchscope.map((x) => fmt(x, 2)).join(', ')}` } : {}),
        ...(f.discarded.length ? { 'not counted': f.discarded.join(' | ') } : {}),
        'load average at each run': r.loadAverages.map((x) => x.toFixed(1)).join(', '),
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
