// The Cacher's dispatcher (cacher/cacher.go: processEvent, dispatchEvents, dispatchEvent,
// startDispatching): the incoming queue the watchCache fills, and one strictly ordered loop that
// offers each event to the watchers it concerns, with upstream's time budget for slow ones, and
// sends the periodic bookmarks between whole revisions.
import type { KubeObject } from '../object.js';
import type { CacheInfo } from '../../../shared/model.js';
import { BoundedQueue } from '../../util/queue.js';
import type { Clock, TimerHandle } from './clock.js';
import { TimeBudget } from './time_budget.js';
import type { CacheWatcher } from './cache_watcher.js';
import type { IndexedWatchers } from './indexed_watchers.js';
import type { WatchCacheEvent } from './watch_cache_history.js';

/** Capacity of the cacher's incoming channel. */
export const incomingBufferSize = 100;
/** Bookmark ticker: 1s with up to +25% jitter. */
export const bookmarkTickMs = 1000;
/** Events dispatched between two turns given back to the event loop. */
const dispatchYieldEvery = 256;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface DispatcherConfig {
  groupResource: string;
  kind: string;
  apiVersion: string;
  clock: Clock;
  watchers: IndexedWatchers;
  counters: CacheInfo['counters'];
  log: (level: 'info' | 'warn', msg: string) => void;
  /** Jitter source for the bookmark ticker. */
  random: () => number;
  /** Called after each event taken off incoming: room for the reflector to feed more. */
  onRoom: () => void;
}

export class Dispatcher {
  /**
   * Bounded by the feeder, not by the queue: the reflector hands over one watch response at a
   * time, only while fewer than incomingBufferSize events wait (`hasRoom`), and never splits one,
   * since a response carries whole revisions. So at most one response sits beyond the bound.
   */
  private readonly incoming = new BoundedQueue<WatchCacheEvent>(Infinity);
  private readonly budget: TimeBudget;
  private incomingHighWater = 0;
  private dispatching = false;
  /** Inside a multi-event revision: no bookmark may be sent until its last event. */
  private midRevision = false;
  private bookmarkDue = false;
  private bookmarkTimer?: TimerHandle;
  private sinceYield = 0;
  private stopped = false;
  /** RV of the last event taken off incoming: what a bookmark may promise. */
  lastProcessedResourceVersion = 0;

  constructor(private readonly cfg: DispatcherConfig) {
    this.budget = new TimeBudget(cfg.clock);
  }

  get incomingLength(): number {
    return this.incoming.length;
  }

  get hasRoom(): boolean {
    return this.incoming.length < incomingBufferSize;
  }

  /** A new list replaced the cache: leftovers belonged to the terminated watchers. */
  reset(listResourceVersion: number): void {
    this.incoming.clear();
    this.midRevision = false;
    this.lastProcessedResourceVersion = listResourceVersion;
  }

  /** processEvent: queues an event the watchCache applied. The caller checked `hasRoom`. */
  enqueue(ev: WatchCacheEvent): void {
    this.incoming.push(ev);
  }

  /** After a feeding pass: logs a new high-water mark of a full queue and starts dispatching. */
  fed(): void {
    const depth = this.incoming.length;
    if (depth > this.incomingHighWater && depth >= incomingBufferSize) {
      this.cfg.log('info', `cacher (${this.cfg.groupResource}): ${depth} objects queued in incoming channel.`);
    }
    this.incomingHighWater = Math.max(this.incomingHighWater, depth);
    this.kick();
  }

  start(): void {
    this.scheduleBookmarkTick();
  }

  stop(): void {
    this.stopped = true;
    if (this.bookmarkTimer) this.cfg.clock.clearTimeout(this.bookmarkTimer);
  }

  private kick(): void {
    if (this.dispatching) return;
    void this.dispatchLoop();
  }

  private async dispatchLoop(): Promise<void> {
    this.dispatching = true;
    try {
      for (;;) {
        if (this.bookmarkDue && !this.midRevision) {
          this.bookmarkDue = false;
          this.dispatchBookmarks();
        }
        const ev = this.incoming.shift();
        if (!ev) break;
        if (ev.type !== 'BOOKMARK') {
          const p = this.dispatchEvent(ev);
          if (p) await p;
          this.cfg.counters.eventsDispatched++;
          // A long burst must not starve the rest of the process (the endpoint, other cachers).
          if (++this.sinceYield >= dispatchYieldEvery) {
            this.sinceYield = 0;
            await yieldToEventLoop();
          }
        }
        if (ev.resourceVersion > this.lastProcessedResourceVersion) this.lastProcessedResourceVersion = ev.resourceVersion;
        this.midRevision = !ev.lastInBatch;
        this.cfg.onRoom();
      }
    } finally {
      this.dispatching = false;
    }
  }

  /**
   * dispatchEvent: offer non-blocking to every candidate; retry the full ones with a blocking
   * send bounded by one shared timer of the whole available budget; close whoever is still
   * blocked when it fires. Returns a promise only when something had to block.
   */
  private dispatchEvent(ev: WatchCacheEvent): Promise<void> | undefined {
    let blocked: CacheWatcher[] = [];
    for (const w of this.cfg.watchers.candidates(ev)) if (!w.nonblockingAdd(ev)) blocked.push(w);
    if (blocked.length === 0) return undefined;
    return (async () => {
      // Upstream's watchers drain their channels on their own goroutines while the dispatcher
      // runs; here they share one event loop with it. Give them one turn of the loop (sockets
      // flush, consumers pull) before counting them as blocked, so a fast client is not closed
      // merely because a burst was dispatched without a pause.
      await yieldToEventLoop();
      blocked = blocked.filter((w) => !w.closed && !w.nonblockingAdd(ev));
      if (blocked.length === 0) return;
      const clock = this.cfg.clock;
      const budget = this.budget.takeAvailable();
      const start = clock.now();
      const timer = { fired: false, promise: undefined as unknown as Promise<void> };
      let handle: TimerHandle | undefined;
      timer.promise = new Promise<void>((resolve) => {
        handle = clock.setTimeout(() => {
          timer.fired = true;
          resolve();
        }, budget);
      });
      for (const w of blocked) {
        const ok = await w.add(ev, timer);
        if (!ok) this.forceClose(w);
      }
      if (handle) clock.clearTimeout(handle);
      this.budget.returnUnused(budget - (clock.now() - start));
    })();
  }

  /** The log line keeps upstream's wording: operators search for it (kubernetes/kubernetes#125123). */
  private forceClose(w: CacheWatcher): void {
    if (w.closed) return;
    this.cfg.counters.terminatedWatchers++;
    // graceful: a watch-list's end bookmark is waiting in input, so input is drained first.
    const graceful = w.closeGracefully;
    const msg = `Forcing ${this.cfg.groupResource} watcher close due to unresponsiveness: ${w.identifier()}. len(c.input) = ${w.inputLen}, len(c.result) = ${w.resultLen}, graceful = ${graceful}`;
    this.cfg.log('info', msg);
    w.close('bufferFull', msg, graceful);
  }

  private scheduleBookmarkTick(): void {
    if (this.stopped) return;
    const jitter = this.cfg.random() * 0.25 * bookmarkTickMs;
    this.bookmarkTimer = this.cfg.clock.setTimeout(() => {
      this.bookmarkDue = true;
      this.kick();
      this.scheduleBookmarkTick();
    }, bookmarkTickMs + jitter);
  }

  /**
   * The bookmark round (watch bookmarks, KEP-956): every watcher whose bookmark is due gets one,
   * non-blocking only, so a full watcher skips a bookmark rather than stall the dispatcher. It
   * runs only between whole revisions (`midRevision`), so a bookmark never promises an RV whose
   * other events a watcher has not had yet.
   */
  private dispatchBookmarks(): void {
    const rv = this.lastProcessedResourceVersion;
    if (rv === 0) return;
    const now = this.cfg.clock.now();
    let ev: WatchCacheEvent | undefined;
    for (const w of this.cfg.watchers.values()) {
      if (w.closed || w.nextBookmarkAt === undefined || w.nextBookmarkAt > now) continue;
      ev ??= this.bookmarkEvent(rv, now);
      if (w.nonblockingAdd(ev)) this.cfg.counters.bookmarksSent++;
      w.nextBookmarkAt = w.nextBookmarkTime(now);
    }
  }

  /** A BOOKMARK at `rv`: an empty object of the resource's kind carrying only the RV. */
  bookmarkEvent(rv: number, now: number): WatchCacheEvent {
    const bookmarkObject = { kind: this.cfg.kind, apiVersion: this.cfg.apiVersion, metadata: { resourceVersion: String(rv) } as KubeObject['metadata'] };
    return { type: 'BOOKMARK', key: '', resourceVersion: rv, recordTime: now, bookmarkObject };
  }
}
