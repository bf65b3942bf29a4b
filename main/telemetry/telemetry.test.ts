import { describe, it, expect } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Snapshot, type CacheInfo, type WatcherInfo, type ConnectionState } from '../../shared/model.js';
import type { CacherView } from '../storage/cacher/types.js';
import { DecisionLog } from '../storage/decisions.js';
import { Telemetry } from './telemetry.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function watcher(id: number, over: Partial<WatcherInfo> = {}): WatcherInfo {
  return {
    id,
    resource: 'pods',
    labelSelector: '',
    fieldSelector: '',
    startResourceVersion: '0',
    userAgent: 'test',
    createdAt: 1,
    eventsSent: 0,
    bookmarksSent: 0,
    lastResourceVersion: 0,
    inputLen: 0,
    resultLen: 0,
    capacity: 10,
    capacityRule: 'noIndex',
    state: 'live',
    ...over,
  };
}

function cacheInfo(resource: string, rv: number, replica?: string): CacheInfo {
  return {
    resource,
    group: '',
    ...(replica ? { replica } : {}),
    ready: 'Ready',
    generation: 1,
    resourceVersion: rv,
    sourceRevision: rv + 3,
    lagRevisions: 3,
    lagMs: 12,
    objects: 5,
    historyLen: 5,
    historyCapacity: 100,
    oldestResourceVersion: 1,
    watchers: 0,
    counters: {
      eventsReceived: 0, eventsDispatched: 0, terminatedWatchers: 0, capacityIncreases: 0, capacityDecreases: 0,
      initEvents: 0, readWaits: 0, readWaitMsTotal: 0, progressNotifies: 0, progressRequests: 0, bookmarksSent: 0,
      consistentReads: 0, consistentReadFallbacks: 0, initializations: 1, undecodable: 0, encrypted: 0,
    },
  };
}

/** A CacherView whose live/closed watchers the test controls; closed is the cache's own bounded list. */
class FakeCache implements CacherView {
  rv = 10;
  live: WatcherInfo[] = [];
  closed: WatcherInfo[] = [];
  constructor(readonly resource: string, readonly replica?: string, readonly closedCap = 50) {}
  info(): CacheInfo {
    return cacheInfo(this.resource, this.rv, this.replica);
  }
  liveWatchers(): WatcherInfo[] {
    return this.live;
  }
  closedWatchers(): WatcherInfo[] {
    return this.closed;
  }
  close(w: WatcherInfo, at: number): void {
    this.closed.push({ ...w, state: 'closed', closedAt: at, closeReason: 'bufferFull' });
    if (this.closed.length > this.closedCap) this.closed.shift();
  }
}

const conn: ConnectionState = { state: 'connected', mode: 'demo', target: 'demo' };

function record(log: DecisionLog, n: number, t = 0): void {
  for (let i = 0; i < n; i++) {
    log.record({
      time: t + i, verb: 'list', resource: 'pods', query: { limit: '50' }, profile: '1.34', servedBy: 'cache',
      reason: 'servedFromCache', detail: 'served from the watch cache', status: 200, latencyMs: 1, userAgent: 'test',
    });
  }
}

describe('Telemetry', () => {
  it('builds a zod-valid snapshot from caches, watchers, decisions and workload', () => {
    const pods = new FakeCache('pods');
    const podsB = new FakeCache('pods', 'replica-b');
    pods.live = [watcher(1, { inputLen: 3, resultLen: 4 }), watcher(2)];
    podsB.live = [watcher(1, { replica: 'replica-b' })];
    const log = new DecisionLog(100);
    let now = 1000;
    const t = new Telemetry({
      caches: () => [pods, podsB], decisions: log, connection: () => conn, profile: () => '1.34', clock: () => now,
      workload: () => ({ writesPerSecond: 50, kubelets: 3, informers: 2, scenario: 'event-storm' }),
    });
    record(log, 3);
    pods.close(watcher(9), 999);
    const s = t.snapshot();
    expect(() => Snapshot.parse(s)).not.toThrow();
    expect(s.seq).toBe(1);
    expect(s.watchersTotal).toBe(3);
    expect(s.watchers.map((w) => w.id).sort()).toEqual([1, 1, 2]);
    expect(s.decisions.map((d) => d.id)).toEqual([1, 2, 3]);
    expect(s.lastDecisionId).toBe(3);
    expect(s.closedWatchers.map((w) => w.id)).toEqual([9]);
    expect(Object.keys(s.freshness).sort()).toEqual(['pods', 'pods@replica-b']);
    expect(s.freshness.pods).toEqual([{ t: 1000, sourceRevision: 13, cacheRevision: 10, lagMs: 12 }]);
    expect(s.workload?.scenario).toBe('event-storm');
    now = 1250;
    pods.rv = 20;
    const s2 = t.snapshot();
    expect(s2.seq).toBe(2);
    expect(s2.freshness.pods!.map((p) => p.cacheRevision)).toEqual([10, 20]);
    // Nothing new: no decisions repeated, the closed watcher is not added twice.
    expect(s2.decisions).toEqual([]);
    expect(s2.closedWatchers).toHaveLength(1);
  });

  it('does not start from decisions recorded before it existed', () => {
    const log = new DecisionLog(100);
    record(log, 5);
    const t = new Telemetry({ caches: () => [], decisions: log, connection: () => conn, profile: () => '1.27' });
    expect(t.snapshot().decisions).toEqual([]);
    record(log, 1);
    expect(t.snapshot().decisions.map((d) => d.id)).toEqual([6]);
  });

  it('hands out every decision exactly once across snapshots, up to the per-snapshot cap', () => {
    const log = new DecisionLog(5000);
    const t = new Telemetry({ caches: () => [], decisions: log, connection: () => conn, profile: () => '1.34', decisionsPerSnapshot: 200 });
    const seen: number[] = [];
    for (let round = 0; round < 50; round++) {
      record(log, (round * 7) % 200); // 0..199 per round: under the cap
      for (const d of t.snapshot().decisions) seen.push(d.id);
    }
    expect(seen.length).toBe(log.lastId);
    expect(seen).toEqual(Array.from({ length: log.lastId }, (_, i) => i + 1));
    // Over the cap: only the newest 200 are carried, and the next snapshot does not re-send older ones.
    const before = log.lastId;
    record(log, 1000);
    const s = t.snapshot();
    expect(s.decisions).toHaveLength(200);
    expect(s.decisions[0]!.id).toBe(before + 801);
    expect(s.decisions.at(-1)!.id).toBe(before + 1000);
    expect(t.snapshot().decisions).toEqual([]);
  });

  it('caps live watchers, keeping the fullest buffers, and reports the total', () => {
    const c = new FakeCache('pods');
    c.live = Array.from({ length: 10_000 }, (_, i) => watcher(i + 1, { inputLen: i % 11, resultLen: i % 11 }));
    const t = new Telemetry({ caches: () => [c], decisions: new DecisionLog(), connection: () => conn, profile: () => '1.34', maxWatchers: 2000, validate: true });
    const s = t.snapshot();
    expect(s.watchersTotal).toBe(10_000);
    expect(s.watchers).toHaveLength(2000);
    // 10000/11 ≈ 909 watchers have a full (10/10) buffer, all of them are kept.
    expect(s.watchers.filter((w) => w.inputLen === 10).length).toBe(c.live.filter((w) => w.inputLen === 10).length);
    expect(Math.min(...s.watchers.map((w) => w.inputLen))).toBeGreaterThanOrEqual(8);
    const ids = s.watchers.map((w) => w.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('merges closed watchers from all caches newest last, capped, without duplicates', () => {
    const a = new FakeCache('pods', undefined, 30);
    const b = new FakeCache('configmaps', undefined, 30);
    const t = new Telemetry({ caches: () => [a, b], decisions: new DecisionLog(), connection: () => conn, profile: () => '1.34', maxClosed: 200 });
    let clock = 0;
    for (let i = 1; i <= 40; i++) {
      a.close(watcher(i), ++clock);
      b.close(watcher(i, { resource: 'configmaps' }), ++clock);
      if (i % 4 === 0) t.snapshot();
    }
    const s = t.snapshot();
    expect(s.closedWatchers).toHaveLength(80);
    const times = s.closedWatchers.map((w) => w.closedAt!);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(new Set(s.closedWatchers.map((w) => `${w.resource}/${w.id}`)).size).toBe(80);
    for (let i = 41; i <= 400; i++) {
      a.close(watcher(i), ++clock);
      t.snapshot();
    }
    const s2 = t.snapshot();
    expect(s2.closedWatchers).toHaveLength(200);
    expect(s2.closedWatchers.at(-1)!.id).toBe(400);
    expect(s2.closedWatchers[0]!.id).toBe(201);
  });

  it('stays bounded under a flood: 100k decisions, 10k watchers, 10k snapshots', () => {
    // DecisionLog.since copies its ring on each call; a 1000-slot log keeps this test fast.
    const log = new DecisionLog(1000);
    const caches = [new FakeCache('pods'), new FakeCache('pods', 'replica-b'), new FakeCache('configmaps')];
    caches[0]!.live = Array.from({ length: 10_000 }, (_, i) => watcher(i + 1, { inputLen: i % 7 }));
    let now = 0;
    const t = new Telemetry({
      caches: () => caches, decisions: log, connection: () => conn, profile: () => '1.34', clock: () => now,
      maxWatchers: 2000, maxClosed: 200, freshnessPoints: 300, decisionsPerSnapshot: 200,
    });
    const big = t.snapshot();
    expect(big.watchers).toHaveLength(2000);
    expect(() => Snapshot.parse(big)).not.toThrow();
    caches[0]!.live = caches[0]!.live.slice(0, 50);

    const run = (n: number, base: number) => {
      let last!: Snapshot;
      for (let i = 0; i < n; i++) {
        now += 250;
        record(log, 10, now);
        for (const c of caches) {
          c.rv++;
          c.close(watcher(base + i), now);
        }
        last = t.snapshot();
      }
      return last;
    };
    run(1000, 1_000_000);
    gc();
    const heapAfterWarmup = process.memoryUsage().heapUsed;
    const last = run(9000, 2_000_000);
    gc();
    const heapGrowth = process.memoryUsage().heapUsed - heapAfterWarmup;

    expect(log.lastId).toBe(100_000);
    expect(last.seq).toBe(10_001);
    expect(last.closedWatchers).toHaveLength(200);
    for (const series of Object.values(last.freshness)) expect(series).toHaveLength(300);
    expect(Object.keys(last.freshness)).toHaveLength(3);
    expect(last.decisions).toHaveLength(10);
    expect(log.since(0)).toHaveLength(1000);
    expect(() => Snapshot.parse(last)).not.toThrow();
    // 9000 more snapshots after warm-up must not keep anything: allow GC noise, not growth.
    expect(heapGrowth).toBeLessThan(8 * 1024 * 1024);
  });

  it('start/stop emits snapshots on a timer and stops', async () => {
    const t = new Telemetry({ caches: () => [], decisions: new DecisionLog(), connection: () => conn, profile: () => '1.34' });
    const got: Snapshot[] = [];
    t.start(10, (s) => got.push(s));
    await new Promise((r) => setTimeout(r, 80));
    t.stop();
    const n = got.length;
    expect(n).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 40));
    expect(got.length).toBe(n);
    expect(t.running).toBe(false);
  });

  it('carries the cluster\'s /metrics table through, capped to 64 resources × 32 finite values', () => {
    const huge = {
      scrapedAt: 500,
      resources: Array.from({ length: 100 }, (_, i) => ({
        resource: `r${String(i).padStart(3, '0')}`,
        values: Object.fromEntries([
          ['inf', Infinity],
          ...Array.from({ length: 50 }, (_, j) => [`v${j}`, i * 100 + j]),
        ]) as Record<string, number>,
      })),
    };
    let scraped: Snapshot['clusterMetrics'] = huge;
    const t = new Telemetry({ caches: () => [], decisions: new DecisionLog(), connection: () => conn, profile: () => '1.20', clusterMetrics: () => scraped, validate: true });
    const s = t.snapshot();
    expect(s.clusterMetrics!.scrapedAt).toBe(500);
    expect(s.clusterMetrics!.resources).toHaveLength(64);
    expect(s.clusterMetrics!.resources[3]!.resource).toBe('r003');
    const vals = s.clusterMetrics!.resources[3]!.values;
    expect(Object.keys(vals)).toHaveLength(32);
    expect(vals.inf).toBeUndefined();
    expect(vals.v0).toBe(300);
    expect(vals.v31).toBe(331);
    // The source's object is not modified (the scraper keeps it as its latest result).
    expect(huge.resources).toHaveLength(100);
    // An error passes through as its sentence; no scrape at all means no clusterMetrics.
    scraped = { scrapedAt: 600, error: 'the cluster refuses /metrics to user "v"', resources: [] };
    expect(t.snapshot().clusterMetrics).toEqual(scraped);
    scraped = undefined;
    expect(t.snapshot().clusterMetrics).toBeUndefined();
  });
});
