// The watch cache's sliding event window (watch_cache.go / master watch_cache_history.go): a
// cyclic buffer with monotonically growing start/end indexes whose capacity adapts so it holds
// roughly `eventsHistoryWindow` of events, between 100 and 102400 (scaled for longer windows).
import type { KubeObject } from '../object.js';
import type { StoreElement } from './store.js';

export const defaultLowerBoundCapacity = 100;
export const defaultUpperBoundCapacity = 100 * 1024;
export const defaultEventsHistoryWindowMs = 75_000;

export interface SharedWatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: KubeObject;
}

export type WatchCacheEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchCacheEvent {
  type: WatchCacheEventType;
  key: string;
  resourceVersion: number;
  recordTime: number;
  /** Current element (absent for DELETED and BOOKMARK). */
  cur?: StoreElement;
  /** The element this event replaced or deleted, for selector transitions. */
  prev?: StoreElement;
  /** For DELETED: the previous object stamped with the delete's RV, shared by all watchers. */
  deletedObject?: KubeObject;
  /** For BOOKMARK: the object to send. */
  bookmarkObject?: KubeObject;
  /**
   * The watch event each transition turns into, made once and shared by every watcher that sees
   * it (upstream's cachingObject serves the same purpose): no per-watcher allocation per event.
   */
  shared?: { ADDED?: SharedWatchEvent; MODIFIED?: SharedWatchEvent; DELETED?: SharedWatchEvent };
  /** Marks the last event of one source revision batch (etcd txn). */
  lastInBatch?: boolean;
}

/**
 * Upper bound for a window longer than 75s: 102400 << ceil(log2(window/75s)), the shift capped
 * at floor(log2(MaxInt32 / 102400)) = 14 so it fits an int32 (capacityUpperBound).
 */
export function upperBoundCapacityFor(windowMs: number): number {
  if (windowMs <= defaultEventsHistoryWindowMs) return defaultUpperBoundCapacity;
  const maxShift = Math.floor(Math.log2((2 ** 31 - 1) / defaultUpperBoundCapacity));
  const shift = Math.min(Math.ceil(Math.log2(windowMs / defaultEventsHistoryWindowMs)), maxShift);
  return defaultUpperBoundCapacity * 2 ** shift;
}

/** A duration as Go's time.Duration.String() prints it ("1.5s", "1m15s", "2h0m0s"). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  if (rest < 1000) return `${neg ? '-' : ''}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = `${Number((rest / 1000).toFixed(3))}s`;
  const out = h > 0 ? `${h}h${m}m${s}` : m > 0 ? `${m}m${s}` : s;
  return (neg ? '-' : '') + out;
}

export type ResizeKind = 'grow' | 'shrink';

/** Someone reading history in place (an interval), told before events it may still need go. */
export interface HistoryReader {
  /** Every event below absolute index `upTo` is about to leave the window. */
  evicting(upTo: number): void;
}

export class WatchCacheHistory {
  private buf: (WatchCacheEvent | undefined)[];
  capacity: number;
  /** Absolute indexes: events live in [startIndex, endIndex). */
  startIndex = 0;
  endIndex = 0;
  /** Whether an event was dropped since the last Replace (upstream removedEventSinceRelist). */
  removedEventSinceRelist = false;
  /** RV of the newest event dropped since the last Replace (0 if none). */
  lastRemovedResourceVersion = 0;
  readonly upperBound: number;
  private readonly readers = new Set<HistoryReader>();

  constructor(
    readonly windowMs = defaultEventsHistoryWindowMs,
    readonly lowerBound = defaultLowerBoundCapacity,
    upperBound?: number,
    private readonly onResize?: (kind: ResizeKind, from: number, to: number) => void,
  ) {
    this.upperBound = upperBound ?? upperBoundCapacityFor(windowMs);
    this.capacity = lowerBound;
    this.buf = new Array(this.capacity);
  }

  get length(): number {
    return this.endIndex - this.startIndex;
  }

  isFull(): boolean {
    return this.length === this.capacity;
  }

  at(absIndex: number): WatchCacheEvent {
    return this.buf[absIndex % this.capacity]!;
  }

  oldest(): WatchCacheEvent | undefined {
    return this.length > 0 ? this.at(this.startIndex) : undefined;
  }

  newest(): WatchCacheEvent | undefined {
    return this.length > 0 ? this.at(this.endIndex - 1) : undefined;
  }

  private resizeTo(capacity: number): void {
    const next: (WatchCacheEvent | undefined)[] = new Array(capacity);
    if (capacity < this.capacity) {
      // Shrinking keeps the newest `capacity` events.
      const newStart = this.endIndex - capacity;
      this.beforeEvict(newStart);
      for (let i = this.startIndex; i < newStart; i++) this.noteRemoved(this.at(i));
      this.startIndex = Math.max(this.startIndex, newStart);
    }
    for (let i = this.startIndex; i < this.endIndex; i++) next[i % capacity] = this.buf[i % this.capacity];
    const from = this.capacity;
    this.buf = next;
    this.capacity = capacity;
    this.onResize?.(capacity > from ? 'grow' : 'shrink', from, capacity);
  }

  private noteRemoved(e: WatchCacheEvent): void {
    this.removedEventSinceRelist = true;
    if (e.resourceVersion > this.lastRemovedResourceVersion) this.lastRemovedResourceVersion = e.resourceVersion;
  }

  /**
   * Upstream resizeCacheLocked: only when full; grow ×2 if the oldest event is younger than the
   * window, else shrink ÷2 if the event a quarter of the capacity behind the newest is older.
   */
  private resizeOnFull(eventTime: number): void {
    if (!this.isFull()) return;
    if (eventTime - this.at(this.startIndex).recordTime < this.windowMs) {
      const c = Math.min(this.capacity * 2, this.upperBound);
      if (c > this.capacity) this.resizeTo(c);
      return;
    }
    const probe = this.at(this.endIndex - Math.floor(this.capacity / 4));
    if (eventTime - probe.recordTime > this.windowMs) {
      const c = Math.max(Math.floor(this.capacity / 2), this.lowerBound);
      if (c < this.capacity) this.resizeTo(c);
    }
  }

  add(e: WatchCacheEvent): void {
    this.resizeOnFull(e.recordTime);
    if (this.isFull()) {
      this.beforeEvict(this.startIndex + 1);
      this.noteRemoved(this.at(this.startIndex));
      this.buf[this.startIndex % this.capacity] = undefined;
      this.startIndex++;
    }
    this.buf[this.endIndex % this.capacity] = e;
    this.endIndex++;
  }

  /** Replace: history restarts empty; indexes never go back, so old positions stay invalid. */
  reset(): void {
    this.beforeEvict(this.endIndex);
    this.buf.fill(undefined);
    this.startIndex = this.endIndex;
    this.removedEventSinceRelist = false;
    this.lastRemovedResourceVersion = 0;
  }

  attach(r: HistoryReader): void {
    this.readers.add(r);
  }

  detach(r: HistoryReader): void {
    this.readers.delete(r);
  }

  private beforeEvict(upTo: number): void {
    if (this.readers.size === 0) return;
    for (const r of [...this.readers]) r.evicting(upTo);
  }

  /** Absolute index of the first event with RV > rv. */
  firstAfter(rv: number): number {
    let lo = this.startIndex;
    let hi = this.endIndex;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.at(mid).resourceVersion > rv) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Events with RV > rv, oldest first (a copy: at most `capacity` references). */
  since(rv: number): WatchCacheEvent[] {
    const out: WatchCacheEvent[] = [];
    for (let i = this.firstAfter(rv); i < this.endIndex; i++) out.push(this.at(i));
    return out;
  }
}
