// cacheWatcher (cacher/cache_watcher.go): one per client watch. The dispatcher offers events to
// its bounded input buffer; a processing step filters them (with the previous object, so
// selector transitions become ADDED/DELETED) into an equally sized result buffer, which the HTTP
// writer pulls from only when its socket can take more. A slow client therefore fills result,
// then input, and the dispatcher's blocking offer times out and closes it.
import type { KubeObject } from '../object.js';
import { isStatusError, type Status, type StatusError } from '../errors.js';
import type { CloseReason, WatcherInfo } from '../../../shared/model.js';
import type { CacheWatcherHandle, Selector, WatchEvent } from './types.js';
import type { Clock } from './clock.js';
import type { StoreElement } from './store.js';
import { stampObject } from './watch_cache.js';
import type { WatchCacheEvent } from './watch_cache_history.js';
import type { CapacityRule } from './chan_size.js';
import type { WatchCacheInterval } from './watch_cache_interval.js';
import { BoundedQueue } from '../../util/queue.js';
import { initialEventsAnnotationKey } from '../initial-events.js';

/** defaultBookmarkFrequency in cacher.go. */
export const defaultBookmarkFrequencyMs = 60_000;

export interface CacheWatcherConfig {
  id: number;
  resource: string;
  /** group.resource for messages, e.g. "pods" or "deployments.apps". */
  groupResource: string;
  /** Upstream's watch key (without the storage prefix), e.g. "/pods/default". */
  key: string;
  namespace?: string;
  name?: string;
  labelSelector: Selector;
  fieldSelector: Selector;
  capacity: number;
  capacityRule: CapacityRule;
  allowWatchBookmarks: boolean;
  /** ms since epoch; 0 = none. */
  deadline: number;
  clock: Clock;
  startResourceVersionText: string;
  userAgent: string;
  replica?: string;
  /** Watch-list: the RV after which the initial-events-end bookmark is due. */
  bookmarkAfterResourceVersion?: number;
  /** The trigger value this watcher is registered under (pods: spec.nodeName), if any. */
  triggerValue?: string;
  onClose?: (w: CacheWatcher) => void;
  onInitEvents?: (n: number) => void;
}

interface ResultItem {
  event: WatchEvent;
  rv: number;
}

export class CacheWatcher implements CacheWatcherHandle {
  readonly id: number;
  private readonly input: BoundedQueue<WatchCacheEvent>;
  private readonly result: BoundedQueue<ResultItem>;
  /** The replay still owed before anything from input (processInterval). */
  private init?: WatchCacheInterval;
  /** Watch-list (1.32+): the initial-events-end bookmark owed right after the replay. */
  private endBookmark?: WatchCacheEvent;
  /** A bookmark at or after bookmarkAfterResourceVersion is in input (cacheWatcherBookmarkReceived). */
  private bookmarkReceived = false;
  /** Closed gracefully: input still drains into result as the client reads (forget(true)). */
  private draining = false;
  /** Events with RV ≤ this are not sent (upstream's resourceVersion in process()). */
  private resourceVersion = 0;
  private state: 'initializing' | 'live' | 'closed' = 'initializing';
  private started = false;
  private bookmarkAfterRvSent: boolean;
  private consumer?: () => void;
  private roomWaiters: (() => void)[] = [];
  private eventsSent = 0;
  private bookmarksSent = 0;
  private lastSentRV = 0;
  private readonly createdAt: number;
  private closedAt?: number;
  private closeReason?: CloseReason;
  private closeMessage?: string;
  /** Next time a periodic bookmark is due (undefined = none any more). */
  nextBookmarkAt?: number;
  private pendingError?: Status;

  constructor(readonly cfg: CacheWatcherConfig) {
    this.id = cfg.id;
    this.input = new BoundedQueue(cfg.capacity);
    this.result = new BoundedQueue(cfg.capacity);
    this.createdAt = cfg.clock.now();
    this.bookmarkAfterRvSent = cfg.bookmarkAfterResourceVersion === undefined;
    if (cfg.allowWatchBookmarks) this.nextBookmarkAt = this.nextBookmarkTime(this.createdAt);
  }

  get capacity(): number {
    return this.cfg.capacity;
  }
  get closed(): boolean {
    return this.state === 'closed';
  }
  get inputLen(): number {
    return this.input.length;
  }
  get resultLen(): number {
    return this.result.length;
  }
  /**
   * A forced close may be graceful (drain input first) only while the watch-list's end bookmark
   * sits in input unsent: the client waits for exactly that bookmark.
   */
  get closeGracefully(): boolean {
    return this.bookmarkReceived && !this.bookmarkAfterRvSent;
  }

  get triggerValue(): string | undefined {
    return this.cfg.triggerValue;
  }

  /**
   * Starts processing: the interval's events go straight to the result buffer (blocking on the
   * client, not subject to the dispatch budget) before anything from input, as processInterval
   * does.
   */
  start(interval: WatchCacheInterval, resourceVersion: number, initialEventsEndBookmark?: WatchCacheEvent): void {
    if (this.state === 'closed') {
      interval.release();
      return;
    }
    this.init = interval;
    this.endBookmark = initialEventsEndBookmark;
    this.resourceVersion = resourceVersion;
    this.started = true;
    this.pump();
  }

  /**
   * Periodic bookmark schedule (nextBookmarkTime in cache_watcher.go): every minute, and one
   * last time 2s before the request's deadline so the client can resume from a fresh RV after
   * the timeout (KEP-956).
   */
  nextBookmarkTime(now: number): number | undefined {
    // A watch-list watcher waits for its initial-events-end bookmark: try on every tick.
    if (!this.bookmarkAfterRvSent) return now;
    let t = now + defaultBookmarkFrequencyMs;
    if (!this.cfg.deadline) return t;
    const pretimeout = this.cfg.deadline - 2000;
    if (pretimeout < t) t = pretimeout;
    if (t < now) return undefined;
    return t;
  }

  private filter(e: StoreElement): boolean {
    const c = this.cfg;
    if (c.namespace && e.namespace !== c.namespace) return false;
    if (c.name && e.name !== c.name) return false;
    if (!c.labelSelector.empty && !c.labelSelector.matches(e.labels)) return false;
    if (!c.fieldSelector.empty && !c.fieldSelector.matches(e.fields)) return false;
    return true;
  }

  /** convertToWatchEvent: selector transitions on current and previous object. */
  private convert(ev: WatchCacheEvent): WatchEvent | undefined {
    if (ev.type === 'BOOKMARK') {
      if (!this.cfg.allowWatchBookmarks || !ev.bookmarkObject) return undefined;
      let obj: KubeObject = ev.bookmarkObject;
      if (!this.bookmarkAfterRvSent) {
        obj = { ...obj, metadata: { ...obj.metadata, annotations: { [initialEventsAnnotationKey]: 'true' } } };
        this.bookmarkAfterRvSent = true;
      }
      return { type: 'BOOKMARK', object: obj };
    }
    const curPasses = ev.type !== 'DELETED' && !!ev.cur && this.filter(ev.cur);
    const oldPasses = !!ev.prev && this.filter(ev.prev);
    const shared = (ev.shared ??= {});
    if (curPasses && !oldPasses) return (shared.ADDED ??= { type: 'ADDED', object: ev.cur!.stored.object });
    if (curPasses && oldPasses) return (shared.MODIFIED ??= { type: 'MODIFIED', object: ev.cur!.stored.object });
    if (!curPasses && oldPasses) {
      // The previous object, stamped with the event's RV; computed once and shared.
      ev.deletedObject ??= stampObject(ev.prev!.stored.object, ev.resourceVersion);
      return (shared.DELETED ??= { type: 'DELETED', object: ev.deletedObject });
    }
    return undefined;
  }

  /** Moves init events, then input events, into result while it has room (process()). */
  private pump(): void {
    if (!this.started || (this.state === 'closed' && !this.draining)) return;
    let freedInput = false;
    while (!this.result.full) {
      if (this.init) {
        const ev = this.init.next();
        if (ev) {
          const we = this.convert(ev);
          if (we) this.result.push({ event: we, rv: ev.resourceVersion });
          if (ev.resourceVersion > this.resourceVersion) this.resourceVersion = ev.resourceVersion;
          continue;
        }
        const { total } = this.init;
        this.init.release();
        this.init = undefined;
        this.state = 'live';
        this.cfg.onInitEvents?.(total);
        if (this.endBookmark) {
          // processInterval: the end bookmark right after the initial events, before input.
          const ev = this.endBookmark;
          this.endBookmark = undefined;
          const we = this.convert(ev);
          if (we) this.result.push({ event: we, rv: ev.resourceVersion });
          if (ev.resourceVersion > this.resourceVersion) this.resourceVersion = ev.resourceVersion;
          if (this.cfg.allowWatchBookmarks) this.nextBookmarkAt = this.nextBookmarkTime(this.cfg.clock.now());
          continue;
        }
      }
      const ev = this.input.shift();
      if (!ev) break;
      freedInput = true;
      // Only events newer than what was sent; a bookmark at exactly that RV once if the
      // watch-list's initial-events-end bookmark is still owed (KEP-3157: its initial state may
      // end at the very RV the next bookmark carries).
      if (ev.resourceVersion > this.resourceVersion || (ev.type === 'BOOKMARK' && ev.resourceVersion === this.resourceVersion && !this.bookmarkAfterRvSent)) {
        const we = this.convert(ev);
        if (we) this.result.push({ event: we, rv: ev.resourceVersion });
      }
    }
    if (this.result.length > 0 && this.consumer) {
      const c = this.consumer;
      this.consumer = undefined;
      c();
    }
    if (freedInput && this.roomWaiters.length) {
      const w = this.roomWaiters;
      this.roomWaiters = [];
      for (const f of w) f();
    }
  }

  /** Non-blocking send into input; false when input is full. A closed watcher accepts and drops. */
  nonblockingAdd(ev: WatchCacheEvent): boolean {
    if (this.state === 'closed') return true;
    if (!this.input.push(ev)) return false;
    const after = this.cfg.bookmarkAfterResourceVersion;
    if (ev.type === 'BOOKMARK' && after !== undefined && ev.resourceVersion >= after) this.bookmarkReceived = true;
    this.pump();
    return true;
  }

  /**
   * Blocking send bounded by `timer` (one timer shared by all blocked watchers of an event).
   * Resolves false when the timer fired first; the caller then closes the watcher.
   */
  async add(ev: WatchCacheEvent, timer: { fired: boolean; promise: Promise<void> }): Promise<boolean> {
    for (;;) {
      if (this.nonblockingAdd(ev)) return true;
      if (timer.fired) return false;
      const room = new Promise<void>((r) => this.roomWaiters.push(r));
      await Promise.race([room, timer.promise]);
    }
  }

  /**
   * A watch that could not start (a watch-list whose wait for its RV ended in 504, or a 410 once
   * it could start): one ERROR event carrying the status, then close.
   */
  failWith(e: unknown): void {
    if (isStatusError(e)) {
      const se = e as StatusError;
      this.fail(se.toStatus(), se.code === 504 ? 'tooLargeResourceVersion' : se.code === 410 ? 'tooOldResourceVersion' : 'error');
    } else {
      this.close('error', e instanceof Error ? e.message : String(e));
    }
  }

  /** For 504 while waiting for a watch-list's required RV: one ERROR event, then close. */
  fail(status: Status, reason: CloseReason): void {
    if (this.state === 'closed') return;
    this.pendingError = status;
    this.close(reason, status.message);
  }

  /**
   * The next event if one is ready now: an event, null once closed and drained, or undefined when
   * the consumer would have to wait. Lets a writer take a burst in one go instead of one promise
   * per event.
   */
  tryNext(): WatchEvent | null | undefined {
    const item = this.result.shift();
    if (item) {
      if (item.event.type === 'BOOKMARK') this.bookmarksSent++;
      else this.eventsSent++;
      if (item.rv > this.lastSentRV) this.lastSentRV = item.rv;
      this.pump();
      return item.event;
    }
    if (this.state === 'closed') {
      if (this.draining && this.input.length > 0) {
        this.pump();
        return this.result.length > 0 ? this.tryNext() : null;
      }
      if (this.pendingError) {
        const s = this.pendingError;
        this.pendingError = undefined;
        return { type: 'ERROR', object: s };
      }
      return null;
    }
    return undefined;
  }

  async next(): Promise<WatchEvent | null> {
    for (;;) {
      const ev = this.tryNext();
      if (ev !== undefined) return ev;
      await this.ready();
    }
  }

  /**
   * Resolves once tryNext has something to give (an event, or the end). A writer that takes
   * bursts with tryNext waits on this: one promise per wake rather than next()'s two.
   */
  ready(): Promise<void> {
    if (this.result.length > 0 || this.state === 'closed') return Promise.resolve();
    return new Promise<void>((r) => (this.consumer = r));
  }

  stop(reason: CloseReason, message?: string): void {
    this.close(reason, message ?? '');
  }

  /**
   * Closes: nothing more enters result; what is already there can still be read (the result
   * channel is drained by the HTTP writer before the stream ends).
   */
  close(reason: CloseReason, message: string, drainInput = false): void {
    if (this.state === 'closed') return;
    this.closedAt = this.cfg.clock.now();
    this.closeReason = reason;
    this.closeMessage = message;
    this.closedInputLen = this.input.length;
    // forget(true): what input holds (the end bookmark among it) still reaches the client.
    this.draining = drainInput && this.init === undefined;
    this.state = 'closed';
    if (!this.draining) this.input.clear();
    this.init?.release();
    this.init = undefined;
    this.nextBookmarkAt = undefined;
    const w = this.roomWaiters;
    this.roomWaiters = [];
    for (const f of w) f();
    if (this.consumer) {
      const c = this.consumer;
      this.consumer = undefined;
      c();
    }
    this.cfg.onClose?.(this);
  }
  private closedInputLen = 0;

  /** Upstream's identifier in the forced-close log line. */
  identifier(): string {
    return `key: "${this.cfg.key}", labels: "${this.cfg.labelSelector.text}", fields: "${this.cfg.fieldSelector.text}"`;
  }

  info(): WatcherInfo {
    const c = this.cfg;
    const i: WatcherInfo = {
      id: this.id,
      resource: c.resource,
      labelSelector: c.labelSelector.text,
      fieldSelector: c.fieldSelector.text,
      startResourceVersion: c.startResourceVersionText,
      userAgent: c.userAgent,
      createdAt: this.createdAt,
      eventsSent: this.eventsSent,
      bookmarksSent: this.bookmarksSent,
      lastResourceVersion: this.lastSentRV,
      inputLen: this.state === 'closed' ? this.closedInputLen : this.input.length,
      resultLen: this.result.length,
      capacity: c.capacity,
      capacityRule: c.capacityRule,
      state: this.state,
    };
    if (c.namespace) i.namespace = c.namespace;
    if (c.name) i.name = c.name;
    if (c.replica) i.replica = c.replica;
    if (this.closedAt !== undefined) i.closedAt = this.closedAt;
    if (this.closeReason) i.closeReason = this.closeReason;
    if (this.closeMessage !== undefined) i.closeMessage = this.closeMessage;
    return i;
  }
}
