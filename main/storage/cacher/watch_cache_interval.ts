// watchCacheInterval (cacher/watch_cache_interval.go): the events a new watch must replay before
// its live events, produced one at a time as the watcher's result buffer takes them, so a watch
// that replays 50k objects does not allocate 50k events before its client has read one.
//
// Two sources, as upstream: the store's current state (RV 0 / sendInitialEvents: every object as
// ADDED at the cache RV) and the history window (events after the watch's RV).
import type { StoreElement } from './store.js';
import type { HistoryReader, WatchCacheEvent, WatchCacheHistory } from './watch_cache_history.js';

export interface WatchCacheInterval {
  /** The next event to replay, or undefined once the interval is exhausted. */
  next(): WatchCacheEvent | undefined;
  /** How many events the interval holds in all (the init-events metric). */
  readonly total: number;
  /** The watcher is done with it (closed early or drained). */
  release(): void;
}

/** Nothing to replay (a watch that starts at the cache RV or waits for a future one). */
export const emptyInterval: WatchCacheInterval = { total: 0, next: () => undefined, release: () => undefined };

/**
 * The store's state at `resourceVersion`. `elements` is a snapshot of references taken under the
 * same synchronous step as the RV (upstream lists the store into the interval the same way); the
 * events themselves are made on demand, and what they turn into (always ADDED of the element's
 * object) is shared through the element by every watcher replaying it.
 */
export function intervalFromStore(elements: StoreElement[], resourceVersion: number, recordTime: number): WatchCacheInterval {
  let i = 0;
  let elems: StoreElement[] | undefined = elements;
  return {
    total: elements.length,
    next() {
      if (!elems || i >= elems.length) return undefined;
      const cur = elems[i]!;
      elems[i++] = undefined as unknown as StoreElement;
      return { type: 'ADDED', key: cur.key, resourceVersion, recordTime, cur, shared: (cur.replayed ??= {}) };
    },
    release() {
      elems = undefined;
    },
  };
}

/**
 * History events at absolute indexes [start, end), read in place. Upstream invalidates an
 * interval whose unread events leave the window and ends the watch ("cache interval
 * invalidated"); here the history hands such an interval the events it still owes just before
 * evicting them, so a watch that has not yet read its replay keeps the same stream it would have
 * had if the events had been copied when it started.
 */
export function intervalFromHistory(history: WatchCacheHistory, start: number, end: number): WatchCacheInterval {
  let pos = start;
  let kept: WatchCacheEvent[] | undefined;
  let keptIdx = 0;
  const reader: HistoryReader = {
    evicting(upTo: number) {
      if (kept || pos >= upTo) return;
      kept = [];
      for (let k = pos; k < end; k++) kept.push(history.at(k));
      history.detach(reader);
    },
  };
  if (start < end) history.attach(reader);
  return {
    total: end - start,
    next() {
      if (kept) {
        if (keptIdx >= kept.length) return undefined;
        const ev = kept[keptIdx]!;
        kept[keptIdx++] = undefined as unknown as WatchCacheEvent;
        return ev;
      }
      if (pos >= end) return undefined;
      const ev = history.at(pos++);
      if (pos >= end) history.detach(reader);
      return ev;
    },
    release() {
      history.detach(reader);
      kept = [];
      pos = end;
    },
  };
}
