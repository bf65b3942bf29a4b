// Cacher (cacher/cacher.go): one per resource. Runs the ListAndWatch loop on a Source into a
// watchCache, serves lists/gets from it, and fans events out to cacheWatchers through one strictly
// ordered dispatcher with upstream's time budget for slow watchers.
import type { KubeObject, StoredObject } from '../object.js';
import type { Source, SourceEvent, SourceWatch, SourceWatchEnd } from '../source.js';
import { newTooManyRequests, newServiceUnavailable, isStatusError, type StatusError } from '../errors.js';
import type { CacheInfo, CloseReason, WatcherInfo } from '../../../shared/model.js';
import { Ring } from '../../util/ring.js';
import type { CacheListOptions, CacheListResult, CacheWatchOptions, CacheWatcherHandle, CacherView } from './types.js';
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { Ready } from './ready.js';
import { TimeBudget } from './time_budget.js';
import { watchChanSize } from './chan_size.js';
import { CacheWatcher } from './cache_watcher.js';
import { WatchCache, type StoreView } from './watch_cache.js';
import { lowerBound, type StoreElement } from './store.js';
import type { WatchCacheEvent } from './watch_cache_history.js';

/** progressRequestPeriod (cacher/progress). */
export const progressRequestPeriodMs = 100;
/** Capacity of the cacher's incoming channel. */
export const incomingBufferSize = 100;
/** Bookmark ticker: 1s with up to +25% jitter. */
export const bookmarkTickMs = 1000;
/** wait.Until period of the ListAndWatch loop. */
export const relistPeriodMs = 1000;

export interface CacherConfig {
  group: string;
  resource: string;
  kind: string;
  apiVersion: string;
  /** e.g. '/registry/pods/' */
  collectionKey: string;
  namespaced: boolean;
  /** 'spec.nodeName' for pods. */
  indexTrigger?: string;
  source: Source;
  eventsHistoryWindowMs?: number;
  clock?: Clock;
  replica?: string;
  closedWatchersCap?: number;
  /** How often to poll the source's current revision for the lag figures (0 = never). Default 1000. */
  revisionPollMs?: number;
  /** Test hooks: history capacity bounds. */
  lowerBoundCapacity?: number;
  upperBoundCapacity?: number;
  /** Jitter source for the bookmark ticker (tests pass () => 0). */
  random?: () => number;
  /** Log sink (defaults to console.warn for warnings only). */
  log?: (level: 'info' | 'warn', msg: string) => void;
  /**
   * Pause before relisting after the n-th consecutive failed ListAndWatch (n ≥ 1). Upstream's
   * cacher retries every second (wait.Until); kube mode backs off instead, so expired
   * credentials do not run an exec plugin (or open a login window) once a second.
   */
  relistDelayMs?: (consecutiveFailures: number) => number;
}

type PendingItem = { kind: 'events'; events: SourceEvent[] } | { kind: 'progress'; revision: number };

type Counters = CacheInfo['counters'];

export interface CacheGetResult {
  item?: StoredObject;
  resourceVersion: number;
  waitedMs: number;
}

/** Events dispatched between two turns given back to the event loop. */
const DISPATCH_YIELD_EVERY = 256;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Cacher implements CacherView {
  readonly ready: Ready;
  readonly watchCache: WatchCache;
  private readonly clock: Clock;
  private readonly budget: TimeBudget;
  private readonly groupResource: string;
  private readonly closed: Ring<WatcherInfo>;
  private readonly watchers = new Map<number, CacheWatcher>();
  /** Watchers by namespace/name scope ("ns/name", "ns/", "/name", "/"). */
  private readonly allWatchers = new Map<string, Set<CacheWatcher>>();
  /** Watchers registered under a trigger value (pods: their spec.nodeName). */
  private readonly valueWatchers = new Map<string, Set<CacheWatcher>>();
  private nextWatcherId = 1;

  private pending: PendingItem[] = [];
  private pendingHead = 0;
  private incoming: WatchCacheEvent[] = [];
  private incomingHead = 0;
  private incomingHighWater = 0;
  private dispatching = false;
  private midRevision = false;
  private bookmarkDue = false;
  private lastProcessedResourceVersion = 0;

  private sourceWatch?: SourceWatch;
  private running = false;
  private stopped = false;
  private loopDone?: Promise<void>;
  private wakeLoop?: () => void;
  private bookmarkTimer?: TimerHandle;
  private pollTimer?: TimerHandle;
  private progressWaiters = 0;
  private progressTimer?: TimerHandle;

  private sourceRevision = 0;
  private behindSince?: number;
  private lastError?: string;
  /** Lists served from the trigger index (metric label index="f:spec.nodeName"). */
  indexedLists = 0;
  readonly counters: Counters = {
    eventsReceived: 0,
    eventsDispatched: 0,
    terminatedWatchers: 0,
    capacityIncreases: 0,
    capacityDecreases: 0,
    initEvents: 0,
    readWaits: 0,
    readWaitMsTotal: 0,
    progressNotifies: 0,
    progressRequests: 0,
    bookmarksSent: 0,
    consistentReads: 0,
    consistentReadFallbacks: 0,
    initializations: 0,
    undecodable: 0,
    encrypted: 0,
  };

  constructor(readonly config: CacherConfig) {
    this.clock = config.clock ?? realClock;
    this.ready = new Ready(this.clock);
    this.budget = new TimeBudget(this.clock);
    this.groupResource = config.group ? `${config.resource}.${config.group}` : config.resource;
    this.closed = new Ring(config.closedWatchersCap ?? 200);
    this.watchCache = new WatchCache({
      resource: config.resource,
      collectionKey: config.collectionKey,
      namespaced: config.namespaced,
      indexField: config.indexTrigger,
      clock: this.clock,
      eventsHistoryWindowMs: config.eventsHistoryWindowMs,
      lowerBoundCapacity: config.lowerBoundCapacity,
      upperBoundCapacity: config.upperBoundCapacity,
      onResize: (kind) => {
        if (kind === 'grow') this.counters.capacityIncreases++;
        else this.counters.capacityDecreases++;
      },
    });
  }

  private log(level: 'info' | 'warn', msg: string): void {
    if (this.config.log) this.config.log(level, msg);
    else if (level === 'warn') console.warn(msg);
  }

  get resourceVersion(): number {
    return this.watchCache.resourceVersion;
  }

  get generation(): number {
    return this.ready.generation;
  }

  // ---------------------------------------------------------------- ListAndWatch loop

  /** Starts the ListAndWatch loop; resolves once the first attempt began (not when Ready). */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.loopDone = this.run();
    this.scheduleBookmarkTick();
    this.schedulePoll();
  }

  /** Resolves when Ready (or Stopped). */
  waitReady(): Promise<void> {
    return this.ready.wait();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const began = this.clock.now();
      try {
        const end = await this.listAndWatch();
        // Only a watch that stayed up for a while counts as recovered (client-go's backoff
        // resets after a healthy period the same way).
        if (this.clock.now() - began > 60_000) failures = 0;
        if (this.stopped) break;
        this.lastError = end.message;
        this.log('warn', `cacher (${this.groupResource}): unexpected ListAndWatch error: ${end.message}; reinitializing...`);
      } catch (e) {
        if (this.stopped) break;
        this.lastError = e instanceof Error ? e.message : String(e);
        this.log('warn', `cacher (${this.groupResource}): unexpected ListAndWatch error: ${this.lastError}; reinitializing...`);
      }
      this.ready.set(false);
      this.terminateAllWatchers('cacheReinitializing', `watch cache of ${this.groupResource} is reinitializing: ${this.lastError ?? ''}`);
      await new Promise<void>((resolve) => {
        failures++;
        const t = this.clock.setTimeout(resolve, this.config.relistDelayMs?.(failures) ?? relistPeriodMs);
        this.wakeLoop = () => {
          this.clock.clearTimeout(t);
          resolve();
        };
      });
      this.wakeLoop = undefined;
    }
  }

  private listAndWatch(): Promise<SourceWatchEnd> {
    // Each (re)start terminates every watcher first (startCaching → terminateAllWatchers).
    this.terminateAllWatchers('cacheReinitializing', `watch cache of ${this.groupResource} is reinitializing`);
    const gen = {};
    this.currentGen = gen;
    return (async () => {
      const list = await this.config.source.list(this.config.collectionKey);
      if (this.stopped || this.currentGen !== gen) return { reason: 'stopped', message: 'stopped' } as SourceWatchEnd;
      // Leftovers of the previous watch belong to terminated watchers.
      this.pending = [];
      this.pendingHead = 0;
      this.incoming = [];
      this.incomingHead = 0;
      this.midRevision = false;
      for (const it of list.items) this.countEncoding(it);
      this.watchCache.replace(list.items, list.resourceVersion);
      this.lastProcessedResourceVersion = list.resourceVersion;
      this.noteSourceRevision(list.resourceVersion);
      this.updateLag();
      this.counters.initializations++;
      this.lastError = undefined;
      this.ready.set(true);
      this.log('info', `cacher (${this.groupResource}): cacher initialized at resourceVersion ${list.resourceVersion} with ${list.items.length} objects`);
      return await new Promise<SourceWatchEnd>((resolve) => {
        let ended = false;
        this.sourceWatch = this.config.source.watch(this.config.collectionKey, list.resourceVersion, {
          onEvents: (events) => {
            if (ended || this.currentGen !== gen) return;
            this.pushPending({ kind: 'events', events });
          },
          onProgress: (revision) => {
            if (ended || this.currentGen !== gen) return;
            this.counters.progressNotifies++;
            this.pushPending({ kind: 'progress', revision });
          },
          onEnd: (end) => {
            if (ended) return;
            ended = true;
            this.sourceWatch = undefined;
            resolve(end);
          },
        });
        this.stopWatchForGen = () => {
          if (!ended) {
            ended = true;
            this.sourceWatch?.stop();
            this.sourceWatch = undefined;
            resolve({ reason: 'stopped', message: 'cacher stopped' });
          }
        };
      });
    })();
  }
  private currentGen?: object;
  private stopWatchForGen?: () => void;

  private countEncoding(s: StoredObject): void {
    if (s.encoding === 'undecodable') this.counters.undecodable++;
    else if (s.encoding === 'encrypted') this.counters.encrypted++;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ready.stop();
    this.stopWatchForGen?.();
    this.wakeLoop?.();
    if (this.bookmarkTimer) this.clock.clearTimeout(this.bookmarkTimer);
    if (this.pollTimer) this.clock.clearTimeout(this.pollTimer);
    if (this.progressTimer) this.clock.clearTimeout(this.progressTimer);
    this.terminateAllWatchers('stopped', 'apiserver cacher is stopped');
    await this.loopDone?.catch(() => undefined);
  }

  /** Forces a relist (as if the watch ended), e.g. from the UI. */
  reinitialize(message = 'reinitialization requested'): void {
    if (this.sourceWatch) {
      const w = this.sourceWatch;
      this.sourceWatch = undefined;
      w.stop();
    }
    this.lastError = message;
  }

  // ---------------------------------------------------------------- source → watchCache → incoming

  private pushPending(item: PendingItem): void {
    this.pending.push(item);
    this.drainPending();
  }

  /**
   * Feeds the watchCache while the incoming buffer has room. Upstream's watchCache blocks on a
   * full incoming channel, which holds back the cache RV; pending plays the role of the etcd
   * watcher's buffers that fill behind it.
   */
  private drainPending(): void {
    while (this.pendingHead < this.pending.length && this.incoming.length - this.incomingHead < incomingBufferSize) {
      const item = this.pending[this.pendingHead]!;
      (this.pending as (PendingItem | undefined)[])[this.pendingHead] = undefined;
      this.pendingHead++;
      if (item.kind === 'events') {
        for (const e of item.events) {
          this.countEncoding(e.object);
          this.noteSourceRevision(e.resourceVersion);
        }
        this.counters.eventsReceived += item.events.length;
        for (const ev of this.watchCache.processBatch(item.events)) this.incoming.push(ev);
      } else {
        this.noteSourceRevision(item.revision);
        if (this.watchCache.updateResourceVersion(item.revision)) {
          // Storage bookmarks go through incoming only to advance lastProcessedResourceVersion.
          this.incoming.push({ type: 'BOOKMARK', key: '', resourceVersion: item.revision, recordTime: this.clock.now(), lastInBatch: true });
        }
      }
    }
    if (this.pendingHead === this.pending.length) {
      this.pending = [];
      this.pendingHead = 0;
    }
    const depth = this.incoming.length - this.incomingHead;
    if (depth > this.incomingHighWater && depth >= incomingBufferSize) {
      this.log('info', `cacher (${this.groupResource}): ${depth} objects queued in incoming channel.`);
    }
    this.incomingHighWater = Math.max(this.incomingHighWater, depth);
    this.updateLag();
    this.kickDispatcher();
  }

  // ---------------------------------------------------------------- dispatcher

  private kickDispatcher(): void {
    if (this.dispatching) return;
    void this.dispatchLoop();
  }

  private sinceYield = 0;

  private async dispatchLoop(): Promise<void> {
    this.dispatching = true;
    try {
      for (;;) {
        if (this.bookmarkDue && !this.midRevision) {
          this.bookmarkDue = false;
          this.dispatchBookmarks();
        }
        if (this.incomingHead >= this.incoming.length) break;
        const ev = this.incoming[this.incomingHead]!;
        (this.incoming as (WatchCacheEvent | undefined)[])[this.incomingHead] = undefined;
        this.incomingHead++;
        if (this.incomingHead > 1024 && this.incomingHead * 2 > this.incoming.length) {
          this.incoming = this.incoming.slice(this.incomingHead);
          this.incomingHead = 0;
        }
        if (ev.type !== 'BOOKMARK') {
          const p = this.dispatchEvent(ev);
          if (p) await p;
          this.counters.eventsDispatched++;
          // A long burst must not starve the rest of the process (the endpoint, other cachers).
          if (++this.sinceYield >= DISPATCH_YIELD_EVERY) {
            this.sinceYield = 0;
            await yieldToEventLoop();
          }
        }
        if (ev.resourceVersion > this.lastProcessedResourceVersion) this.lastProcessedResourceVersion = ev.resourceVersion;
        this.midRevision = !ev.lastInBatch;
        this.drainPending();
      }
    } finally {
      this.dispatching = false;
    }
  }

  private candidates(ev: WatchCacheEvent): CacheWatcher[] {
    const out: CacheWatcher[] = [];
    const seen = new Set<CacheWatcher>();
    const el = ev.cur ?? ev.prev;
    const ns = el?.namespace ?? '';
    const name = el?.name ?? '';
    const add = (s?: Set<CacheWatcher>) => {
      if (!s) return;
      for (const w of s) if (!seen.has(w)) {
        seen.add(w);
        out.push(w);
      }
    };
    add(this.allWatchers.get(`${ns}/${name}`));
    add(this.allWatchers.get(`${ns}/`));
    add(this.allWatchers.get(`/${name}`));
    add(this.allWatchers.get('/'));
    const trig = this.config.indexTrigger;
    if (trig && this.valueWatchers.size) {
      const a = ev.cur?.fields[trig];
      const b = ev.prev?.fields[trig];
      if (a !== undefined) add(this.valueWatchers.get(a));
      if (b !== undefined && b !== a) add(this.valueWatchers.get(b));
    }
    return out;
  }

  /**
   * dispatchEvent: offer non-blocking to every candidate; retry the full ones with a blocking
   * send bounded by one shared timer of the whole available budget; close whoever is still
   * blocked when it fires. Returns a promise only when something had to block.
   */
  private dispatchEvent(ev: WatchCacheEvent): Promise<void> | undefined {
    let blocked: CacheWatcher[] = [];
    for (const w of this.candidates(ev)) if (!w.nonblockingAdd(ev)) blocked.push(w);
    if (blocked.length === 0) return undefined;
    return (async () => {
      // Upstream's watchers drain their channels on their own goroutines while the dispatcher
      // runs; here they share one event loop with it. Give them one turn of the loop (sockets
      // flush, consumers pull) before counting them as blocked, so a fast client is not closed
      // merely because a burst was dispatched without a pause.
      await yieldToEventLoop();
      blocked = blocked.filter((w) => !w.closed && !w.nonblockingAdd(ev));
      if (blocked.length === 0) return;
      const budget = this.budget.takeAvailable();
      const start = this.clock.now();
      const timer = { fired: false, promise: undefined as unknown as Promise<void> };
      let handle: TimerHandle | undefined;
      timer.promise = new Promise<void>((resolve) => {
        handle = this.clock.setTimeout(() => {
          timer.fired = true;
          resolve();
        }, budget);
      });
      for (const w of blocked) {
        const ok = await w.add(ev, timer);
        if (!ok) this.forceClose(w);
      }
      if (handle) this.clock.clearTimeout(handle);
      this.budget.returnUnused(budget - (this.clock.now() - start));
    })();
  }

  private forceClose(w: CacheWatcher): void {
    if (w.closed) return;
    this.counters.terminatedWatchers++;
    const msg = `Forcing ${this.groupResource} watcher close due to unresponsiveness: ${w.identifier()}. len(c.input) = ${w.inputLen}, len(c.result) = ${w.resultLen}, graceful = false`;
    this.log('info', msg);
    w.close('bufferFull', msg);
  }

  private scheduleBookmarkTick(): void {
    if (this.stopped) return;
    const jitter = (this.config.random ?? Math.random)() * 0.25 * bookmarkTickMs;
    this.bookmarkTimer = this.clock.setTimeout(() => {
      this.bookmarkDue = true;
      this.kickDispatcher();
      this.scheduleBookmarkTick();
    }, bookmarkTickMs + jitter);
  }

  /** The bookmark round: every watcher whose bookmark is due gets one, non-blocking only. */
  private dispatchBookmarks(): void {
    const rv = this.lastProcessedResourceVersion;
    if (rv === 0) return;
    const now = this.clock.now();
    let ev: WatchCacheEvent | undefined;
    for (const w of this.watchers.values()) {
      if (w.closed || w.nextBookmarkAt === undefined || w.nextBookmarkAt > now) continue;
      ev ??= { type: 'BOOKMARK', key: '', resourceVersion: rv, recordTime: now, bookmarkObject: this.bookmarkObject(rv) };
      if (w.nonblockingAdd(ev)) this.counters.bookmarksSent++;
      w.nextBookmarkAt = w.nextBookmarkTime(now);
    }
  }

  private bookmarkObject(rv: number): KubeObject {
    return { kind: this.config.kind, apiVersion: this.config.apiVersion, metadata: { resourceVersion: String(rv) } as KubeObject['metadata'] };
  }

  // ---------------------------------------------------------------- freshness

  private schedulePoll(): void {
    const every = this.config.revisionPollMs ?? 1000;
    if (!every || this.stopped) return;
    this.pollTimer = this.clock.setTimeout(() => {
      this.config.source
        .currentRevision(this.config.collectionKey)
        .then((r) => this.noteSourceRevision(r))
        .catch(() => undefined)
        .finally(() => this.schedulePoll());
    }, every);
  }

  /** Records a revision seen at the source (events, progress, current-revision reads). */
  noteSourceRevision(rev: number): void {
    if (rev > this.sourceRevision) this.sourceRevision = rev;
    this.updateLag();
  }

  private updateLag(): void {
    if (this.watchCache.resourceVersion >= this.sourceRevision) this.behindSince = undefined;
    else if (this.behindSince === undefined) this.behindSince = this.clock.now();
  }

  private startProgressRequests(): void {
    this.progressWaiters++;
    if (this.progressWaiters > 1) return;
    const tick = () => {
      if (this.progressWaiters === 0 || this.stopped) return;
      if (this.sourceWatch) {
        this.sourceWatch.requestProgress();
        this.counters.progressRequests++;
      }
      this.progressTimer = this.clock.setTimeout(tick, progressRequestPeriodMs);
    };
    this.progressTimer = this.clock.setTimeout(tick, progressRequestPeriodMs);
  }

  private stopProgressRequests(): void {
    this.progressWaiters = Math.max(0, this.progressWaiters - 1);
    if (this.progressWaiters === 0 && this.progressTimer) {
      this.clock.clearTimeout(this.progressTimer);
      this.progressTimer = undefined;
    }
  }

  /**
   * Waits until cache RV ≥ rv (3s, then 504 Too large resource version). With requestProgress,
   * asks the source for a progress notification every 100ms while waiting (consistent reads).
   */
  async waitUntilFresh(rv: number, opts: { requestProgress?: boolean } = {}): Promise<number> {
    this.noteSourceRevision(rv);
    if (rv <= this.watchCache.resourceVersion) return 0;
    this.counters.readWaits++;
    if (opts.requestProgress) this.startProgressRequests();
    const start = this.clock.now();
    try {
      return await this.watchCache.waitUntilFreshAndBlock(rv);
    } finally {
      this.counters.readWaitMsTotal += this.clock.now() - start;
      if (opts.requestProgress) this.stopProgressRequests();
    }
  }

  private assertReady(): void {
    if (this.ready.state === 'Stopped') throw newServiceUnavailable('apiserver cacher is stopped');
    if (this.ready.state !== 'Ready') {
      const msg = this.lastError ? `storage is (re)initializing: ${this.lastError}` : 'storage is (re)initializing';
      throw newTooManyRequests(msg, this.ready.retryAfterSeconds());
    }
  }

  // ---------------------------------------------------------------- reads

  private keyFor(namespace: string | undefined, name: string): string {
    return this.config.collectionKey + (this.config.namespaced && namespace ? `${namespace}/` : '') + name;
  }

  private scopePrefix(namespace?: string): string {
    return this.config.collectionKey + (this.config.namespaced && namespace ? `${namespace}/` : '');
  }

  async list(opts: CacheListOptions): Promise<CacheListResult> {
    this.assertReady();
    let waitedMs = 0;
    let view: StoreView;
    if (opts.snapshotResourceVersion !== undefined && opts.snapshotResourceVersion > 0) {
      const rv = opts.snapshotResourceVersion;
      if (rv > this.watchCache.resourceVersion) waitedMs = await this.waitUntilFresh(rv, { requestProgress: opts.requestProgress });
      view = this.watchCache.snapshotView(rv);
    } else {
      if (opts.minResourceVersion > 0) waitedMs = await this.waitUntilFresh(opts.minResourceVersion, { requestProgress: opts.requestProgress });
      view = this.watchCache.currentView();
    }
    const { labelSelector: ls, fieldSelector: fs } = opts;
    const matches = (e: StoreElement) => (ls.empty || ls.matches(e.labels)) && (fs.empty || fs.matches(e.fields));
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const items: StoredObject[] = [];
    let continueKey: string | undefined;
    let remainingItemCount: number | undefined;
    let index: string | undefined;

    if (opts.name !== undefined && opts.name !== '') {
      const e = view.get(this.keyFor(opts.namespace, opts.name));
      if (e && matches(e)) items.push(e.stored);
      return { items, resourceVersion: view.resourceVersion, waitedMs };
    }

    const prefix = this.scopePrefix(opts.namespace);
    const trig = this.config.indexTrigger;
    const trigValue = trig ? fs.requiresExactMatch(trig) : undefined;
    // Indexes serve only fresh, non-continued reads of the live store.
    if (trigValue !== undefined && !opts.continueKey && view.keys === this.watchCache.store.sortedKeys()) {
      index = `f:${trig}`;
      this.indexedLists++;
      const keys = this.watchCache.store.indexKeys(trigValue).filter((k) => k.startsWith(prefix));
      for (let i = 0; i < keys.length; i++) {
        const e = view.get(keys[i]!)!;
        if (!matches(e)) continue;
        if (limit && items.length === limit) {
          continueKey = items[items.length - 1]!.key.slice(this.config.collectionKey.length);
          break;
        }
        items.push(e.stored);
      }
    } else {
      const keys = view.keys;
      const startKey = opts.continueKey ? this.config.collectionKey + opts.continueKey : prefix;
      let i = lowerBound(keys, startKey, !!opts.continueKey);
      for (; i < keys.length; i++) {
        const k = keys[i]!;
        if (!k.startsWith(prefix)) break;
        const e = view.get(k)!;
        if (!matches(e)) continue;
        if (limit && items.length === limit) {
          continueKey = items[items.length - 1]!.key.slice(this.config.collectionKey.length);
          break;
        }
        items.push(e.stored);
      }
      if (continueKey !== undefined && ls.empty && fs.empty) {
        let n = 0;
        for (; i < keys.length && keys[i]!.startsWith(prefix); i++) n++;
        remainingItemCount = n;
      }
    }
    const res: CacheListResult = { items, resourceVersion: view.resourceVersion, waitedMs };
    if (continueKey !== undefined) res.continueKey = continueKey;
    if (remainingItemCount !== undefined) res.remainingItemCount = remainingItemCount;
    if (index) res.index = index;
    return res;
  }

  /** GET from the cache: waits for minRV (0 = no wait). A missing object is `item: undefined`. */
  async get(namespace: string | undefined, name: string, minRV: number, opts: { requestProgress?: boolean } = {}): Promise<CacheGetResult> {
    this.assertReady();
    const waitedMs = minRV > 0 ? await this.waitUntilFresh(minRV, opts) : 0;
    const e = this.watchCache.store.get(this.keyFor(namespace, name));
    const r: CacheGetResult = { resourceVersion: this.watchCache.resourceVersion, waitedMs };
    if (e) r.item = e.stored;
    return r;
  }

  // ---------------------------------------------------------------- watch

  private watchKey(namespace?: string, name?: string): string {
    // Upstream's watch key is relative to the storage prefix ("/pods/default").
    const base = this.config.collectionKey.replace(/^\/registry/, '').replace(/\/$/, '');
    return base + (namespace ? `/${namespace}` : '') + (name ? `/${name}` : '');
  }

  /**
   * Registers a cacheWatcher. Throws StatusError 410 for a too-old RV (the endpoint sends it as
   * an ERROR event) and 429/503 when not Ready. A future RV is accepted and simply waits; a
   * watch-list (sendInitialEvents) at a future RV waits up to 3s for the cache, then ends with
   * an ERROR event (504).
   */
  watch(opts: CacheWatchOptions): CacheWatcherHandle {
    this.assertReady();
    const trig = this.config.indexTrigger;
    const triggerValue = trig ? opts.fieldSelector.requiresExactMatch(trig) : undefined;
    const { size, rule } = watchChanSize(this.watchCache.history.capacity, this.watchCache.windowMs, !!trig, triggerValue !== undefined);
    const rv = opts.resourceVersion;
    const legacyInitial = rv === 0 && !opts.sendInitialEvents && !opts.sendInitialEventsSet;
    const initial = opts.sendInitialEvents || legacyInitial;
    const isWatchList = opts.sendInitialEvents && opts.allowWatchBookmarks;
    const generation = this.ready.generation;
    const w = new CacheWatcher({
      id: this.nextWatcherId++,
      resource: this.config.resource,
      groupResource: this.groupResource,
      key: this.watchKey(opts.namespace, opts.name),
      namespace: opts.namespace || undefined,
      name: opts.name || undefined,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      capacity: size,
      capacityRule: rule,
      allowWatchBookmarks: opts.allowWatchBookmarks,
      deadline: opts.deadline,
      clock: this.clock,
      startResourceVersionText: opts.resourceVersionText,
      userAgent: opts.userAgent,
      replica: this.config.replica,
      bookmarkAfterResourceVersion: isWatchList ? Math.max(rv, 1) : undefined,
      triggerValue,
      onClose: (cw) => this.forget(cw),
      onInitEvents: (n) => (this.counters.initEvents += n),
    });
    const scope = {
      keyPrefix: this.scopePrefix(opts.namespace),
      key: opts.name ? this.keyFor(opts.namespace, opts.name) : undefined,
      indexValue: triggerValue,
    };
    const register = () => {
      const all = this.watchCache;
      let events: WatchCacheEvent[];
      let startRV: number;
      if (initial) {
        ({ events, resourceVersion: startRV } = all.getAllEventsSince(0, scope));
      } else if (rv === 0) {
        // sendInitialEvents=false with RV 0: start at the cache RV, no initial events.
        events = [];
        startRV = all.resourceVersion;
      } else if (rv > all.resourceVersion) {
        events = [];
        startRV = rv;
      } else {
        ({ events, resourceVersion: startRV } = all.getAllEventsSince(rv));
      }
      this.addWatcher(w);
      w.start(events, startRV);
    };
    if (opts.sendInitialEvents && rv > this.watchCache.resourceVersion) {
      // Watch-list at a future RV: wait for the cache like a read would, then start.
      this.watchers.set(w.id, w);
      this.waitUntilFresh(rv, { requestProgress: opts.requestProgress }).then(
        () => {
          if (w.closed) return;
          if (this.ready.generation !== generation || this.ready.state !== 'Ready') {
            w.close('cacheReinitializing', `watch cache of ${this.groupResource} is reinitializing`);
            return;
          }
          this.watchers.delete(w.id);
          try {
            register();
          } catch (e) {
            this.failWatcher(w, e);
          }
        },
        (e) => this.failWatcher(w, e),
      );
      return w;
    }
    register();
    return w;
  }

  private failWatcher(w: CacheWatcher, e: unknown): void {
    if (isStatusError(e)) {
      const se = e as StatusError;
      w.fail(se.toStatus(), se.code === 504 ? 'tooLargeResourceVersion' : se.code === 410 ? 'tooOldResourceVersion' : 'error');
    } else {
      w.close('error', e instanceof Error ? e.message : String(e));
    }
  }

  private scopeKey(w: CacheWatcher): string {
    return `${w.cfg.namespace ?? ''}/${w.cfg.name ?? ''}`;
  }

  private addWatcher(w: CacheWatcher): void {
    this.watchers.set(w.id, w);
    const tv = w.triggerValue;
    const map = tv !== undefined ? this.valueWatchers : this.allWatchers;
    const k = tv !== undefined ? tv : this.scopeKey(w);
    let s = map.get(k);
    if (!s) map.set(k, (s = new Set()));
    s.add(w);
  }

  private forget(w: CacheWatcher): void {
    this.watchers.delete(w.id);
    const tv = w.triggerValue;
    const map = tv !== undefined ? this.valueWatchers : this.allWatchers;
    const k = tv !== undefined ? tv : this.scopeKey(w);
    const s = map.get(k);
    if (s) {
      s.delete(w);
      if (s.size === 0) map.delete(k);
    }
    this.closed.push(w.info());
  }

  /** terminateAllWatchers: every watcher closed with `reason`. */
  terminateAllWatchers(reason: CloseReason, message: string): void {
    for (const w of [...this.watchers.values()]) w.close(reason, message);
  }

  // ---------------------------------------------------------------- views

  info(): CacheInfo {
    const wc = this.watchCache;
    const lagRevisions = Math.max(0, this.sourceRevision - wc.resourceVersion);
    const i: CacheInfo = {
      resource: this.config.resource,
      group: this.config.group,
      ready: this.ready.state,
      generation: this.ready.generation,
      resourceVersion: wc.resourceVersion,
      sourceRevision: Math.max(this.sourceRevision, wc.resourceVersion),
      lagRevisions,
      lagMs: lagRevisions > 0 && this.behindSince !== undefined ? this.clock.now() - this.behindSince : 0,
      objects: wc.store.size,
      historyLen: wc.history.length,
      historyCapacity: wc.history.capacity,
      oldestResourceVersion: wc.listResourceVersion || wc.history.length ? wc.oldestResourceVersion() : 0,
      watchers: this.watchers.size,
      counters: { ...this.counters },
    };
    if (this.config.replica) i.replica = this.config.replica;
    if (this.lastError) i.lastError = this.lastError;
    return i;
  }

  liveWatchers(): WatcherInfo[] {
    return [...this.watchers.values()].map((w) => w.info());
  }

  closedWatchers(): WatcherInfo[] {
    return this.closed.toArray();
  }

  /** Number of events queued between the watchCache and the dispatcher. */
  get incomingLength(): number {
    return this.incoming.length - this.incomingHead;
  }
}
