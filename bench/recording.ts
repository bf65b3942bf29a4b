// A one-hour recording of a demo-like session, generated through the real Recorder (snapshots 4/s
// with caches and watchers, 20 pod events/s, 25 decisions/s) on a simulated clock, then opened
// and seeked by a fresh child process that reports open time, seek times and its RSS.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CacheInfo, Snapshot, WatcherInfo } from '../shared/model.js';
import { DecisionLog } from '../main/storage/decisions.js';
import { Recorder } from '../main/recording/recorder.js';
import { SourceTap } from '../main/recording/tap.js';
import type { SourceEvent } from '../main/storage/source.js';
import { mulberry32 } from '../main/util/prng.js';
import { benchDir, fmt, stat, verdict, type BenchRow } from './lib.js';

const HOUR_MS = 3_600_000;
const TICK_MS = 250;
const OPEN_TARGET_MS = 1000;
const SEEK_TARGET_MS = 1000;

function cache(resource: string, rv: number, source: number, objects: number, t: number): CacheInfo {
  return {
    resource, group: '', ready: 'Ready', generation: 1, resourceVersion: rv, sourceRevision: source, lagRevisions: source - rv, lagMs: source > rv ? 120 : 0,
    objects, historyLen: 100, historyCapacity: 100, oldestResourceVersion: Math.max(1, rv - 100), watchers: 5,
    counters: { eventsReceived: rv, eventsDispatched: rv, terminatedWatchers: 0, capacityIncreases: 0, capacityDecreases: 0, initEvents: 0, readWaits: 0, readWaitMsTotal: 0, progressNotifies: Math.floor(t / 5000), progressRequests: 0, bookmarksSent: 0, consistentReads: 0, consistentReadFallbacks: 0, initializations: 1, undecodable: 0, encrypted: 0 },
  };
}

function watcher(id: number, ua: string, t0: number, fill: number): WatcherInfo {
  return {
    id, resource: 'pods', labelSelector: '', fieldSelector: id <= 5 ? `spec.nodeName=node-${id}` : '', startResourceVersion: '0', userAgent: ua, createdAt: t0,
    eventsSent: 0, bookmarksSent: 0, lastResourceVersion: 0, inputLen: fill, resultLen: fill, capacity: 10, capacityRule: 'indexWithTrigger', state: 'live',
  };
}

/** Writes the recording; returns its path. */
export function generateHourRecording(dir: string): string {
  const file = join(dir, 'hour.wsrec.gz');
  const start = Date.UTC(2026, 0, 1);
  let now = start;
  const rnd = mulberry32(3);
  const listeners = new Set<(s: Snapshot) => void>();
  const decisions = new DecisionLog(5000);
  const tap = new SourceTap();
  const recorder = new Recorder(
    {
      profile: () => '1.34',
      source: () => ({ mode: 'demo', target: 'etcd (bench)', version: '3.4.23', supportsRequestWatchProgress: false }),
      resources: () => ['pods', 'configmaps', 'leases.coordination.k8s.io'],
      snapshot: () => undefined,
      onSnapshot: (fn) => {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
      decisions,
      tap,
    },
    { file, clock: () => now, flushMs: 3_600_000, maxBytes: 2 ** 31 },
  );
  let rev = 1000;
  let seq = 0;
  const watchers = Array.from({ length: 10 }, (_, i) => watcher(i + 1, i < 5 ? `kubelet/node-${i + 1}` : `informer-${i - 4}/pods`, start, 0));
  for (let tick = 0; now < start + HOUR_MS; tick++) {
    now += TICK_MS;
    // 20 pod writes a second, delivered to the tap as the etcd watch delivers them.
    const events: SourceEvent[] = [];
    for (let i = 0; i < 5; i++) {
      rev++;
      const name = `web-${Math.floor(rnd() * 400)}`;
      events.push({
        type: 'MODIFIED',
        key: `/registry/pods/demo/${name}`,
        resourceVersion: rev,
        object: { key: `/registry/pods/demo/${name}`, resourceVersion: rev, encoding: 'json', size: 900, object: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'demo', resourceVersion: String(rev), labels: { app: 'web', gen: String(rev % 7) } }, spec: { nodeName: `node-${rev % 5}` } } },
      });
    }
    tap.notify((l) => l.onEvents('/registry/pods/', events));
    // 25 requests a second (watches, lists, writes).
    for (let i = 0; i < 6 + (tick % 4 === 0 ? 1 : 0); i++) {
      const verb = i === 0 ? 'list' : 'update';
      decisions.record({ time: now, verb, resource: 'pods', namespace: 'demo', query: verb === 'list' ? { resourceVersion: '0', limit: '500' } : {}, profile: '1.34', servedBy: verb === 'list' ? 'cache' : 'etcd', reason: verb === 'list' ? 'servedFromCache' : 'write', detail: 'bench', status: 200, latencyMs: rnd() * 10, userAgent: 'controller/demo' });
    }
    for (const w of watchers) w.inputLen = w.resultLen = Math.floor(rnd() * 3);
    const snap: Snapshot = {
      seq: ++seq, time: now, connection: { state: 'connected', mode: 'demo', target: 'etcd (bench)' }, profile: '1.34',
      caches: [cache('pods', rev - 2, rev, 400, now - start), cache('configmaps', 1000, 1000, 3, now - start), cache('leases', rev, rev, 5, now - start)],
      watchers: watchers.map((w) => ({ ...w })), watchersTotal: watchers.length, closedWatchers: [], freshness: {}, decisions: [], lastDecisionId: decisions.lastId,
    };
    for (const fn of listeners) fn(snap);
    if (tick % 4 === 3) recorder.flush();
  }
  recorder.stop('bench done');
  return file;
}

export async function runRecording(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ws-bench-rec-'));
  try {
    const t0 = Date.now();
    const file = generateHourRecording(dir);
    const genS = (Date.now() - t0) / 1000;
    const size = statSync(file).size;
    const child = fork(join(benchDir, 'recording-child.ts'), [file], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const r = await new Promise<{ openMs: number[]; seekMs: number[]; rssBefore: number; rssAfter: number; segments: number; durationMs: number }>((res, rej) => {
      child.once('message', (m) => res(m as never));
      child.once('error', rej);
      child.once('exit', (code) => rej(new Error(`recording child exited with ${code}`)));
    });
    child.kill();
    const open = stat(r.openMs);
    const seek = stat(r.seekMs);
    const rssGrowthMiB = (r.rssAfter - r.rssBefore) / 2 ** 20;
    return [
      {
        id: '6',
        name: 'replay of a one-hour recording',
        ratioOf: `slowest seek to a random moment ÷ ${SEEK_TARGET_MS} ms (open ÷ ${OPEN_TARGET_MS} ms in details)`,
        ratio: stat([Math.max(...r.seekMs) / SEEK_TARGET_MS]),
        target: `every seek ≤ ${SEEK_TARGET_MS} ms, open ≤ ${OPEN_TARGET_MS} ms`,
        verdict: verdict(stat([Math.max(Math.max(...r.seekMs) / SEEK_TARGET_MS, open.median / OPEN_TARGET_MS)]), (x) => x <= 1),
        details: {
          recordedMinutes: fmt(r.durationMs / 60_000),
          fileMiB: fmt(size / 2 ** 20),
          segments: r.segments,
          generateSeconds: fmt(genS),
          openMs: `${fmt(open.median)} [${fmt(open.min)}..${fmt(open.max)}]`,
          seekMs: `${fmt(seek.median)} [${fmt(seek.min)}..${fmt(seek.max)}] over ${r.seekMs.length} seeks`,
          rssBeforeMiB: fmt(r.rssBefore / 2 ** 20),
          rssAfterMiB: fmt(r.rssAfter / 2 ** 20),
          rssGrowthMiB: fmt(rssGrowthMiB),
        },
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
