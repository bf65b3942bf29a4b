// Shared pieces of the benches: repeated measurements summarised as median + spread, CPU of
// another process from /proc, pod-like values, bulk loading, and the result table.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../main/storage/object.js';
import type { EtcdClient } from '../main/storage/etcd/client.js';
import { encodeJSON } from '../main/storage/etcd/codec.js';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(benchDir, '..');
export const resultsPath = join(repoRoot, 'test-results', 'bench.json');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function until(cond: () => boolean, ms: number, what: string, stepMs = 5): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms}ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** Median and spread of repeated samples (the machine is noisy: one sample proves nothing). */
export interface Stat {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export function stat(samples: number[]): Stat {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  return { median, min: s[0] ?? NaN, max: s[n - 1] ?? NaN, samples };
}

export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return Number(x.toPrecision(digits)).toString();
}

export const fmtStat = (s: Stat, digits = 3) => `${fmt(s.median, digits)} [${fmt(s.min, digits)}..${fmt(s.max, digits)}]`;

/** One row of the final table. */
export interface BenchRow {
  id: string;
  name: string;
  /** What the ratio divides by what. */
  ratioOf: string;
  ratio?: Stat;
  target: string;
  /** 'pass' | 'fail' against the target, or 'not measured'. */
  verdict: 'pass' | 'fail' | 'not measured';
  /** Absolute figures behind the ratio. */
  details: Record<string, string | number>;
  note?: string;
}

export function verdict(ratio: Stat | undefined, ok: (x: number) => boolean): BenchRow['verdict'] {
  if (!ratio || !Number.isFinite(ratio.median)) return 'not measured';
  return ok(ratio.median) ? 'pass' : 'fail';
}

export function printRows(rows: BenchRow[]): void {
  const head = ['#', 'measurement', 'ratio median [min..max]', 'target', 'verdict'];
  const body = rows.map((r) => [r.id, r.name, r.ratio ? fmtStat(r.ratio) : '—', r.target, r.verdict]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  console.log('');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('-+-'));
  for (const b of body) console.log(line(b));
  for (const r of rows) {
    console.log(`\n${r.id}. ${r.name} — ratio = ${r.ratioOf}`);
    for (const [k, v] of Object.entries(r.details)) console.log(`   ${k}: ${typeof v === 'number' ? fmt(v) : v}`);
    if (r.note) console.log(`   note: ${r.note}`);
  }
}

export function writeResults(rows: BenchRow[], path = resultsPath): void {
  mkdirSync(dirname(path), { recursive: true });
  let prior: Record<string, unknown> = {};
  try {
    prior = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    // first run
  }
  const byId = { ...((prior.results as Record<string, unknown>) ?? {}) };
  for (const r of rows) byId[r.id] = { ...r, measuredAt: new Date().toISOString() };
  const out = { node: process.version, platform: `${process.platform}/${process.arch}`, cpus: cpuCount(), results: byId };
  writeFileSync(path, JSON.stringify(out, null, 2) + '\n');
}

function cpuCount(): number {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length;
  } catch {
    return 0;
  }
}

/** Runs one bench module alone: prints its rows and merges them into the results file. */
export async function runAlone(run: () => Promise<BenchRow[]>): Promise<void> {
  try {
    const rows = await run();
    printRows(rows);
    writeResults(rows);
    console.log(`\nresults written to ${resultsPath}`);
  } catch (e) {
    console.error(e);
    process.exitCode = 1;
  }
}

// ---------------------------------------------------------------- CPU

const CLK_TCK = 100; // USER_HZ on Linux; /proc/<pid>/stat reports utime/stime in these ticks.

/** User+system CPU seconds of another process (fields 14 and 15 of /proc/<pid>/stat). */
export function procCpuSeconds(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; fields after it start past the last ')'.
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return (utime + stime) / CLK_TCK;
}

/** Time the process's main thread spent runnable but waiting for a core (/proc/<pid>/schedstat), ms. */
export function procRunQueueWaitMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
}

export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Peak resident set (VmHWM) and current RSS of a process, in bytes. */
export function procMemory(pid: number | 'self' = 'self'): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Resets VmHWM to the current RSS (Linux clear_refs "5"), so a later peak belongs to what ran since. */
export function resetPeakRss(pid: number | 'self' = 'self'): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- workload values

export const podKey = (ns: string, name: string) => `/registry/pods/${ns}/${name}`;

/** A small pod-like object (a few hundred bytes as JSON), as the ingest and CPU benches write. */
export function smallPod(ns: string, name: string, seq: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, uid: `00000000-0000-4000-8000-${String(seq % 1e12).padStart(12, '0')}`, labels: { app: `app-${seq % 7}`, tier: 'web' }, generation: seq },
    spec: { nodeName: `node-${seq % 5}`, containers: [{ name: 'main', image: 'registry.example/app:1.0' }] },
    status: { phase: 'Running' },
  };
}

/**
 * A realistic ~1 KB pod: labels, annotations, owner reference, a container with resources, env,
 * ports, probes, and status conditions — the shape that dominates real clusters' watch caches.
 */
export function realisticPod(ns: string, name: string, seq: number): KubeObject {
  const hash = (seq * 2654435761 >>> 0).toString(16).padStart(8, '0');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      uid: `${hash}-1b2c-4d5e-8f90-${String(seq).padStart(12, '0')}`,
      generateName: `${name.replace(/-[^-]+$/, '')}-`,
      creationTimestamp: '2024-05-01T12:00:00Z',
      labels: { app: `svc-${seq % 50}`, 'pod-template-hash': hash.slice(0, 8), tier: seq % 3 ? 'backend' : 'frontend' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-05-01T11:59:00Z' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `svc-${seq % 50}-${hash.slice(0, 8)}`, uid: `${hash}-aaaa-4bbb-8ccc-000000000000`, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      nodeName: `node-${seq % 100}`,
      serviceAccountName: 'default',
      restartPolicy: 'Always',
      containers: [
        {
          name: 'app',
          image: `registry.example/team/svc-${seq % 50}:1.${seq % 10}.0`,
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
        },
      ],
    },
    status: {
      phase: 'Running',
      podIP: `10.${(seq >> 16) & 255}.${(seq >> 8) & 255}.${seq & 255}`,
      hostIP: `192.168.0.${seq % 100}`,
      startTime: '2024-05-01T12:00:05Z',
      conditions: [
        { type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T12:00:09Z' },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-05-01T12:00:01Z' },
      ],
    },
  };
}

/**
 * Writes `n` realistic pods across `namespaces` in txns of 100 puts (etcd's default
 * --max-txn-ops is 128), a few txns in flight. Returns the sum of the stored value sizes.
 */
export function loadPods(client: EtcdClient, n: number, namespaces = 10): Promise<{ rawBytes: number; revision: number }> {
  return loadObjects(client, n, (i) => {
    const ns = `ns-${i % namespaces}`;
    const name = `pod-${String(i).padStart(6, '0')}`;
    return { key: podKey(ns, name), value: encodeJSON(realisticPod(ns, name, i)) };
  });
}

/** Writes `n` objects made by `make` in txns of 100 puts, 8 txns in flight. */
export async function loadObjects(client: EtcdClient, n: number, make: (i: number) => { key: string; value: Buffer }): Promise<{ rawBytes: number; revision: number }> {
  let rawBytes = 0;
  let revision = 0;
  let next = 0;
  const batch = 100;
  const worker = async () => {
    for (;;) {
      const start = next;
      if (start >= n) return;
      next = Math.min(n, start + batch);
      const success = [];
      for (let i = start; i < next; i++) {
        const { key, value } = make(i);
        rawBytes += value.length;
        success.push({ request_put: { key: Buffer.from(key), value } });
      }
      const r = await client.txn({ compare: [], success, failure: [] });
      revision = Math.max(revision, Number(r.header.revision));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { rawBytes, revision };
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export const wallNow = () => performance.timeOrigin + performance.now();

export const configMapKey = (ns: string, name: string) => `/registry/configmaps/${ns}/${name}`;

const PAYLOAD = 'x'.repeat(760);

/**
 * A ConfigMap of about 1 KB as kube-apiserver would store it as JSON. `data.stamp` carries the
 * wall-clock time of the write, so a watcher can tell how long the event took to reach it.
 */
export function stampedConfigMap(ns: string, name: string, seq: number, stamp = wallNow()): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: ns,
      uid: `${(seq * 2654435761 >>> 0).toString(16).padStart(8, '0')}-1b2c-4d5e-8f90-${String(seq).padStart(12, '0')}`,
      creationTimestamp: '2024-05-01T12:00:00Z',
      labels: { app: `svc-${seq % 50}`, tier: seq % 3 ? 'backend' : 'frontend' },
    },
    data: { stamp: stamp.toFixed(3), payload: PAYLOAD },
  };
}
