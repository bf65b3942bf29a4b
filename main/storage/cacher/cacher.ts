// Cacher (cacher/cacher.go): one per resource. Wires the reflector (list and watch the source
// into the watchCache), the dispatcher (fan events out to cacheWatchers in order, with upstream's
// time budget for slow ones, and bookmarks), and progress requests for reads that wait; serves
// lists and gets from the cache and registers watches.
import type { StoredObject } from '../object.js';
import type { Source, SourceListResult } from '../source.js';
import { newTooManyRequests, newServiceUnavailable } from '../errors.js';
import { areInitialEventsRequired } from '../initial-events.js';
import { emptyCacheCounters, type CacheInfo, type CloseReason, type WatcherInfo } from '../../../shared/model.js';
import { Ring } from '../../util/ring.js';
import type { CacheListOptions, CacheListResult, CacheWatchOptions, CacheWatcherHandle, CacherView } from './types.js';
import { realClock, type Clock } from './clock.js';
import { Freshness } from './freshness.js';
import { Ready } from './ready.js';
import { watchChanSize } from './chan_size.js';
import { CacheWatcher } from './cache_watcher.js';
import { WatchCache, type StoreView } from './watch_cache.js';
import { listPage } from './list_page.js';
import type { StoreElement } from './store.js';
import { IndexedWatchers } from './indexed_watchers.js';
import { Dispatcher } from './dispatcher.js';
import { Reflector, type PendingItem } from './reflector.js';
import { ConditionalProgressRequester } from './progress/watch_progress.js';
import { Compactor, compactorPollPeriodMs } from './compactor.js';
import type { ConsistencyResult } from './consistency.js';
import { defaultEventsHistoryWindowMs, formatGoDuration } from './watch_cache_history.js';

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
  /** EventsHistoryWindow (1.33+; a fixed 75 s before): never below 75 s, as upstream refuses. */
  eventsHistoryWindowMs?: number;
  clock?: Clock;
  /**
   * The etcd3 store's CompactRevision(): the newest compaction revision kube-apiserver's compactor
   * recorded in compact_rev_key. Given, the cacher's compactor applies it every 15 s; absent (kube
   * mode, where no etcd is visible), snapshots are only dropped by the history window.
   */
  storeCompactRevision?: () => number;
  /** Test hook: the compactor's poll period (default 15 s, compactorPollPeriod). */
  compactorPollMs?: number;
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

type Counters = CacheInfo['counters'];

export interface CacheGetResult {
  item?: StoredObject;
  resourceVersion: number;
  waitedMs: number;
}

export class Cacher implements CacherView {
  readonly ready: Ready;
  readonly watchCache: WatchCache;
  private readonly clock: Clock;
  private readonly groupResource: string;
  private readonly closed: Ring<WatcherInfo>;
  private readonly watchers: IndexedWatchers;
  private readonly reflector: Reflector;
  private readonly dispatcher: Dispatcher;
  private readonly progressRequester: ConditionalProgressRequester;
  /** Present when the store reports compactions (etcd mode). */
  readonly compactor: Compactor | undefined;
  private nextWatcherId = 1;

  private running = false;
  private stopped = false;
  private readonly freshness: Freshness;
  /** Lists served from the trigger index (metric label index="f:spec.nodeName"). */
  indexedLists = 0;
  readonly counters: Counters = emptyCacheCounters();

  constructor(readonly config: CacherConfig) {
    const windowMs = config.eventsHistoryWindowMs ?? defaultEventsHistoryWindowMs;
    if (windowMs < defaultEventsHistoryWindowMs) {
      // NewCacherFromConfig (1.33+); before 1.33 the window was the constant 75 s.
      throw new Error(`config.EventsHistoryWindow (${formatGoDuration(windowMs)}) must not be below ${formatGoDuration(defaultEventsHistoryWindowMs)}`);
    }
    this.clock = config.clock ?? realClock;
    this.ready = new Ready(this.clock);
    this.groupResource = config.group ? `${config.resource}.${config.group}` : config.resource;
    this.closed = new Ring(config.closedWatchersCap ?? 200);
    this.freshness = new Freshness(this.clock, () => this.watchCache.resourceVersion);
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
    const log = (level: 'info' | 'warn', msg: string) => this.log(level, msg);
    this.watchers = new IndexedWatchers(config.indexTrigger);
    this.dispatcher = new Dispatcher({
      groupResource: this.groupResource,
      kind: config.kind,
      apiVersion: config.apiVersion,
      clock: this.clock,
      watchers: this.watchers,
      counters: this.counters,
      log,
      random: config.random ?? Math.random,
      onRoom: () => this.reflector.drain(),
    });
    this.reflector = new Reflector({
      source: config.source,
      collectionKey: config.collectionKey,
      groupResource: this.groupResource,
      clock: this.clock,
      counters: this.counters,
      log,
      relistDelayMs: config.relistDelayMs,
      store: {
        relisting: () => this.terminateAllWatchers('cacheReinitializing', `watch cache of ${this.groupResource} is reinitializing`),
        replace: (list) => this.replace(list),
        hasRoom: () => this.dispatcher.hasRoom,
        apply: (item) => this.processEvent(item),
        fed: () => {
          this.freshness.update();
          this.dispatcher.fed();
        },
        failed: (message) => {
          this.ready.set(false);
          this.terminateAllWatchers('cacheReinitializing', `watch cache of ${this.groupResource} is reinitializing: ${message}`);
        },
      },
    });
    this.progressRequester = new ConditionalProgressRequester(() => {
      if (this.reflector.requestProgress()) this.counters.progressRequests++;
    }, this.clock);
    this.compactor = config.storeCompactRevision
      ? new Compactor(config.storeCompactRevision, this.watchCache, this.clock, config.compactorPollMs ?? compactorPollPeriodMs)
      : undefined;
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

  private get lastError(): string | undefined {
    return this.reflector.lastError;
  }

  get isReady(): boolean {
    return this.ready.state === 'Ready';
  }

  /** The last cache-vs-etcd consistency check (set by the checker beside this cache, shown in info()). */
  consistency: ConsistencyResult | undefined;

  /** Cacher.MarkConsistent: the consistency checker's verdict turns snapshots off or on again. */
  markConsistent(consistent: boolean): void {
    this.watchCache.markConsistent(consistent);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Starts the ListAndWatch loop and returns at once; `waitReady()` tells when the cache is Ready. */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.reflector.start();
    this.dispatcher.start();
    this.compactor?.start();
    this.freshness.poll(this.config.source, this.config.collectionKey, this.config.revisionPollMs ?? 1000);
  }

  /** Resolves when Ready (or Stopped). */
  waitReady(): Promise<void> {
    return this.ready.wait();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ready.stop();
    const loopDone = this.reflector.stop();
    this.dispatcher.stop();
    this.freshness.stop();
    this.progressRequester.stop();
    this.compactor?.stop();
    this.terminateAllWatchers('stopped', 'apiserver cacher is stopped');
    await loopDone;
  }

  /** Forces a relist (as if the watch ended), e.g. from the UI. */
  reinitialize(message = 'reinitialization requested'): void {
    this.reflector.reinitialize(message);
  }

  // ---------------------------------------------------------------- source → watchCache → dispatcher

  /** The reflector's list arrived: replace the cache and become Ready. */
  private replace(list: SourceListResult): void {
    this.dispatcher.reset(list.resourceVersion);
    for (const it of list.items) this.countEncoding(it);
    this.watchCache.replace(list.items, list.resourceVersion);
    this.noteSourceRevision(list.resourceVersion);
    this.counters.initializations++;
    this.ready.set(true);
    this.log('info', `cacher (${this.groupResource}): cacher initialized at resourceVersion ${list.resourceVersion} with ${list.items.length} objects`);
  }

  /** One watch response or progress notification into the watchCache, its events into incoming. */
  private processEvent(item: PendingItem): void {
    if (item.kind === 'events') {
      // A response's events come in revision order: its last is the newest revision it shows.
      for (const e of item.events) this.countEncoding(e.object);
      if (item.events.length) this.noteSourceRevision(item.events[item.events.length - 1]!.resourceVersion);
      this.counters.eventsReceived += item.events.length;
      for (const ev of this.watchCache.processBatch(item.events)) this.dispatcher.enqueue(ev);
      return;
    }
    this.noteSourceRevision(item.revision);
    if (this.watchCache.updateResourceVersion(item.revision)) {
      // Storage bookmarks go through incoming only to advance lastProcessedResourceVersion.
      this.dispatcher.enqueue({ type: 'BOOKMARK', key: '', resourceVersion: item.revision, recordTime: this.clock.now(), lastInBatch: true });
    }
  }

  private countEncoding(s: StoredObject): void {
    if (s.encoding === 'undecodable') this.counters.undecodable++;
    else if (s.encoding === 'encrypted') this.counters.encrypted++;
  }

  // ---------------------------------------------------------------- freshness

  /** Records a revision seen at the source (events, progress, the RV a read asked for). */
  noteSourceRevision(rev: number): void {
    this.freshness.noteSourceRevision(rev);
  }

  /**
   * Waits until cache RV ≥ rv (3s, then 504 Too large resource version). With requestProgress,
   * asks the source for a progress notification every 100ms while waiting (consistent reads from
   * cache, KEP-2340: on an idle resource only a progress notification moves the cache RV).
   */
  async waitUntilFresh(rv: number, opts: { requestProgress?: boolean } = {}): Promise<number> {
    this.noteSourceRevision(rv);
    if (rv <= this.watchCache.resourceVersion) return 0;
    this.counters.readWaits++;
    if (opts.requestProgress) this.progressRequester.add();
    const start = this.clock.now();
    try {
      return await this.watchCache.waitUntilFreshAndBlock(rv);
    } finally {
      this.counters.readWaitMsTotal += this.clock.now() - start;
      if (opts.requestProgress) this.progressRequester.remove();
    }
  }

  /** Not Ready: 429 with Retry-After (KEP-4568) instead of blocking the request until Ready. */
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
    if (opts.name !== undefined && opts.name !== '') {
      const e = view.get(this.keyFor(opts.namespace, opts.name));
      return { items: e && matches(e) ? [e.stored] : [], resourceVersion: view.resourceVersion, waitedMs };
    }

    const prefix = this.scopePrefix(opts.namespace);
    const trig = this.config.indexTrigger;
    const trigValue = trig ? fs.requiresExactMatch(trig) : undefined;
    const continueAfter = opts.continueKey ? this.config.collectionKey + opts.continueKey : undefined;
    const scan = this.watchCache.listKeys(view, prefix, continueAfter, trigValue);
    const page = listPage(view, scan.keys, { prefix, collectionKey: this.config.collectionKey, matches, limit, selectorsEmpty: ls.empty && fs.empty });
    const res: CacheListResult = { ...page, resourceVersion: view.resourceVersion, waitedMs };
    if (scan.indexed) {
      res.index = `f:${trig}`;
      this.indexedLists++;
    }
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
   * watch-list (sendInitialEvents, KEP-3157) at a future RV waits up to 3s for the cache, then
   * ends with an ERROR event (504), since its initial state must be at least that RV.
   */
  watch(opts: CacheWatchOptions): CacheWatcherHandle {
    this.assertReady();
    const trig = this.config.indexTrigger;
    const triggerValue = trig ? opts.fieldSelector.requiresExactMatch(trig) : undefined;
    const { size, rule } = watchChanSize(this.watchCache.history.capacity, this.watchCache.windowMs, !!trig, triggerValue !== undefined);
    const rv = opts.resourceVersion;
    const initial = areInitialEventsRequired(rv, opts.sendInitialEvents);
    const isWatchList = opts.sendInitialEvents === true && opts.allowWatchBookmarks;
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
      // The k8s.io/initial-events-end bookmark (KEP-3157) is owed once the RV the watch-list
      // asked for has been sent.
      bookmarkAfterResourceVersion: isWatchList ? Math.max(opts.bookmarkAfterResourceVersion ?? rv, 1) : undefined,
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
      const { interval, resourceVersion: startRV } = this.watchCache.getAllEventsSince(rv, initial, scope);
      // setInitialEventsEndBookmarkIfRequested: the end bookmark rides at the end of the interval,
      // at the cache's RV now, so it precedes every live event.
      const endBookmark = isWatchList && opts.initialEventsEndBookmarkAfterInterval ? this.dispatcher.bookmarkEvent(this.watchCache.resourceVersion, this.clock.now()) : undefined;
      this.watchers.add(w);
      w.start(interval, startRV, endBookmark);
    };
    if (opts.sendInitialEvents === true && rv > this.watchCache.resourceVersion) {
      // Watch-list at a future RV: wait for the cache like a read would, then start.
      this.watchers.track(w);
      this.waitUntilFresh(rv, { requestProgress: opts.requestProgress }).then(
        () => {
          if (w.closed) return;
          if (this.ready.generation !== generation || this.ready.state !== 'Ready') {
            w.close('cacheReinitializing', `watch cache of ${this.groupResource} is reinitializing`);
            return;
          }
          this.watchers.untrack(w);
          try {
            register();
          } catch (e) {
            w.failWith(e);
          }
        },
        (e) => w.failWith(e),
      );
      return w;
    }
    register();
    return w;
  }

  private forget(w: CacheWatcher): void {
    this.watchers.delete(w);
    this.closed.push(w.info());
  }

  /** terminateAllWatchers: every watcher closed with `reason`. */
  terminateAllWatchers(reason: CloseReason, message: string): void {
    for (const w of [...this.watchers.values()]) w.close(reason, message);
  }

  // ---------------------------------------------------------------- views

  info(): CacheInfo {
    const wc = this.watchCache;
    const i: CacheInfo = {
      resource: this.config.resource,
      group: this.config.group,
      ready: this.ready.state,
      generation: this.ready.generation,
      resourceVersion: wc.resourceVersion,
      ...this.freshness.lag(),
      objects: wc.store.size,
      historyLen: wc.history.length,
      historyCapacity: wc.history.capacity,
      oldestResourceVersion: wc.listResourceVersion || wc.history.length ? wc.oldestResourceVersion() : 0,
      watchers: this.watchers.size,
      counters: { ...this.counters },
    };
    if (this.config.replica) i.replica = this.config.replica;
    if (this.lastError) i.lastError = this.lastError;
    if (!this.watchCache.snapshottingEnabled) i.snapshottingEnabled = false;
    if (this.consistency) i.consistency = this.consistency;
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
    return this.dispatcher.incomingLength;
  }
}
