// watchCache (cacher/watch_cache.go): the store of current objects, the sliding event history,
// the cache resourceVersion and the freshness wait. Events of one source revision (one etcd txn)
// are applied in one synchronous step, so nothing observes half a transaction.
import type { KubeObject, StoredObject } from '../object.js';
import type { SourceEvent } from '../source.js';
import { newInternalError, newResourceExpired, newTooLargeResourceVersion } from '../errors.js';
import { objectFields } from '../selectors/object_fields.js';
import type { Clock } from './clock.js';
import { WatchCacheStore, type StoreElement } from './store.js';
import { arrayCursor, lowerBound, type KeyCursor } from './ordered_keys.js';
import { WatchCacheHistory, defaultEventsHistoryWindowMs, type ResizeKind, type WatchCacheEvent } from './watch_cache_history.js';
import { emptyInterval, intervalFromHistory, intervalFromStore, type WatchCacheInterval } from './watch_cache_interval.js';

/** blockTimeout in watch_cache.go. */
export const blockTimeoutMs = 3000;
/** resourceVersionTooHighRetrySeconds in watch_cache.go. */
export const resourceVersionTooHighRetrySeconds = 1;

export interface WatchCacheConfig {
  resource: string;
  collectionKey: string;
  namespaced: boolean;
  indexField?: string;
  clock: Clock;
  eventsHistoryWindowMs?: number;
  /** Test hook: history bounds. */
  lowerBoundCapacity?: number;
  upperBoundCapacity?: number;
  onResize?: (kind: ResizeKind, from: number, to: number) => void;
}

/** Sets metadata.resourceVersion to `rv` (copying only when it differs), as versioner.UpdateObject. */
export function stampObject(obj: KubeObject, rv: number): KubeObject {
  const s = String(rv);
  if (obj.metadata?.resourceVersion === s) return obj;
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: s } };
}

/** What a watch covers: one key, a key prefix (namespace or all), and/or a trigger index value. */
export interface WatchScope {
  keyPrefix?: string;
  key?: string;
  indexValue?: string;
}

/** An ordered view of the store at one RV: keys in order and a lookup. */
export interface StoreView {
  resourceVersion: number;
  /** Keys in order from the first >= `from` (> when `after`), for a synchronous scan. */
  keysFrom(from: string, after: boolean): KeyCursor;
  get(key: string): StoreElement | undefined;
  /** The store as it is now (not rolled back through the history): the trigger index applies. */
  live: boolean;
}

export class WatchCache {
  readonly store: WatchCacheStore;
  readonly history: WatchCacheHistory;
  /** RV up to which the cache is known complete. */
  resourceVersion = 0;
  /** RV of the last Replace (full list). */
  listResourceVersion = 0;
  private initialized = false;
  private waiters = new Set<() => void>();
  /**
   * Snapshots below this RV are gone (RemoveLess in processEvent): whenever the buffer is full
   * after an event, upstream drops every snapshot older than the oldest buffered event. 0 after
   * Replace, which keeps only the snapshot at the list RV.
   */
  private snapshotsRemovedBelow = 0;
  /**
   * The compaction revision the Cacher's compactor applied (watchCache.Compact, 1.34+): snapshots
   * below it are gone for the releases that run that compactor. Kept apart from the window rule so
   * the router can tell, per profile, which of the two removed a snapshot.
   */
  compactRevision = 0;
  /**
   * False after a failed consistency check (MarkConsistent(false), 1.34+): no snapshot is kept or
   * served until a check passes; then snapshots start again from the next event.
   */
  snapshottingEnabled = true;
  readonly windowMs: number;

  constructor(private readonly cfg: WatchCacheConfig) {
    this.windowMs = cfg.eventsHistoryWindowMs ?? defaultEventsHistoryWindowMs;
    this.store = new WatchCacheStore(cfg.indexField);
    this.history = new WatchCacheHistory(this.windowMs, cfg.lowerBoundCapacity, cfg.upperBoundCapacity, cfg.onResize);
  }

  /** Splits a key into namespace and name relative to the collection key. */
  keyParts(key: string): { namespace: string; name: string } {
    const rest = key.startsWith(this.cfg.collectionKey) ? key.slice(this.cfg.collectionKey.length) : key;
    if (!this.cfg.namespaced) return { namespace: '', name: rest };
    const i = rest.indexOf('/');
    return i < 0 ? { namespace: '', name: rest } : { namespace: rest.slice(0, i), name: rest.slice(i + 1) };
  }

  makeElement(stored: StoredObject): StoreElement {
    const object = stampObject(stored.object, stored.resourceVersion);
    const s = object === stored.object ? stored : { ...stored, object };
    const { namespace, name } = this.keyParts(stored.key);
    return { key: stored.key, namespace, name, stored: s, labels: object.metadata?.labels ?? {}, fields: objectFields(this.cfg.resource, object) };
  }

  private broadcast(): void {
    const w = [...this.waiters];
    for (const f of w) f();
  }

  /** Replace (end of a relist): store replaced, history reset, cache RV = list RV. */
  replace(items: StoredObject[], listRV: number): void {
    this.store.replace(items.map((s) => this.makeElement(s)));
    this.history.reset();
    this.snapshotsRemovedBelow = 0;
    this.listResourceVersion = listRV;
    this.resourceVersion = listRV;
    this.initialized = true;
    this.broadcast();
  }

  /**
   * Applies the events of one source revision batch. Returns the watchCacheEvents to dispatch.
   * The previous element comes from the store (upstream processEvent), falling back to the
   * source's prev_kv.
   */
  processBatch(batch: SourceEvent[]): WatchCacheEvent[] {
    const out: WatchCacheEvent[] = [];
    const now = this.cfg.clock.now();
    const applied = this.newestEventRV();
    for (const se of batch) {
      // Already applied (a resumed stream can repeat a revision): keep history unique.
      if (se.resourceVersion <= applied) continue;
      let prev = this.store.get(se.key);
      if (!prev && se.prevObject) prev = this.makeElement(se.prevObject);
      let ev: WatchCacheEvent;
      if (se.type === 'DELETED') {
        this.store.delete(se.key);
        const base = prev?.stored.object ?? se.object.object;
        ev = { type: 'DELETED', key: se.key, resourceVersion: se.resourceVersion, recordTime: now, prev: prev ?? this.makeElement(se.object), deletedObject: stampObject(base, se.resourceVersion) };
      } else {
        const cur = this.makeElement(se.object);
        this.store.put(cur);
        ev = { type: prev ? 'MODIFIED' : 'ADDED', key: se.key, resourceVersion: se.resourceVersion, recordTime: now, cur, prev };
      }
      this.history.add(ev);
      if (this.history.isFull()) this.snapshotsRemovedBelow = Math.max(this.snapshotsRemovedBelow, this.history.oldest()!.resourceVersion);
      out.push(ev);
    }
    if (out.length) {
      // Mark revision boundaries: bookmarks are only sent between whole revisions (txns).
      for (let i = 0; i < out.length; i++) {
        const next = out[i + 1];
        if (!next || next.resourceVersion !== out[i]!.resourceVersion) out[i]!.lastInBatch = true;
      }
      const rv = out[out.length - 1]!.resourceVersion;
      if (rv > this.resourceVersion) this.resourceVersion = rv;
      this.broadcast();
    }
    return out;
  }

  private newestEventRV(): number {
    return this.history.newest()?.resourceVersion ?? this.listResourceVersion;
  }

  /** UpdateResourceVersion: a progress notification raises the cache RV without data changes. */
  updateResourceVersion(rv: number): boolean {
    if (rv <= this.resourceVersion) return false;
    this.resourceVersion = rv;
    this.broadcast();
    return true;
  }

  /**
   * Resolves (with the waited ms) once cache RV ≥ rv; 504 Too large resource version after 3s
   * (blockTimeout). A consistent read (KEP-2340) waits here for etcd's current revision.
   */
  waitUntilFreshAndBlock(rv: number, timeoutMs = blockTimeoutMs): Promise<number> {
    const clock = this.cfg.clock;
    const start = clock.now();
    if (rv <= this.resourceVersion) return Promise.resolve(0);
    return new Promise<number>((resolve, reject) => {
      const check = () => {
        if (rv <= this.resourceVersion) {
          done();
          resolve(clock.now() - start);
        }
      };
      const timer = clock.setTimeout(() => {
        done();
        if (rv <= this.resourceVersion) resolve(clock.now() - start);
        else reject(newTooLargeResourceVersion(rv, this.resourceVersion, resourceVersionTooHighRetrySeconds));
      }, timeoutMs);
      const done = () => {
        this.waiters.delete(check);
        clock.clearTimeout(timer);
      };
      this.waiters.add(check);
    });
  }

  /**
   * Oldest RV a watch can resume after: `listResourceVersion+1` if nothing was evicted since the
   * relist, else the oldest buffered event's RV (getAllEventsSinceLocked). A watch at RV < oldest-1
   * is too old. When an eviction split a multi-key revision (not possible with Kubernetes'
   * one-key-per-revision writes), the split revision is not resumable either.
   */
  oldestResourceVersion(): number {
    if (this.listResourceVersion > 0 && !this.history.removedEventSinceRelist) return this.listResourceVersion + 1;
    const o = this.history.oldest();
    let oldest = o ? o.resourceVersion : this.resourceVersion + 1;
    if (this.history.lastRemovedResourceVersion >= oldest) oldest = this.history.lastRemovedResourceVersion + 1;
    return oldest;
  }

  /**
   * watchCache.MarkConsistent: false drops every snapshot (snapshots.Reset) and takes no more; true
   * takes them again, the first at the next event's RV (nothing below it is held).
   */
  markConsistent(consistent: boolean): void {
    if (consistent && !this.snapshottingEnabled) this.snapshotsRemovedBelow = Math.max(this.snapshotsRemovedBelow, this.resourceVersion + 1);
    this.snapshottingEnabled = consistent;
  }

  /** watchCache.Compact: the compactor drops the snapshots below `rev`. */
  compact(rev: number): void {
    if (rev > this.compactRevision) this.compactRevision = rev;
  }

  /**
   * The oldest RV a snapshot is held at, or undefined when none is (snapshots.GetLessOrEqual(rv)
   * finds one exactly for rv ≥ it). Snapshots are taken at the list RV (Replace) and at every
   * event's RV; RemoveLess drops them below the oldest buffered event once the buffer is full (so,
   * unlike a watch, nothing is served at the oldest event's RV − 1), and, with `afterCompaction`,
   * below the compactor's revision.
   */
  oldestSnapshotResourceVersion(afterCompaction = false): number | undefined {
    if (!this.initialized || !this.snapshottingEnabled) return undefined;
    const floor = Math.max(this.snapshotsRemovedBelow, afterCompaction ? this.compactRevision : 0);
    if (this.listResourceVersion >= floor) return this.listResourceVersion;
    const i = this.history.firstAfter(floor - 1);
    return i < this.history.endIndex ? this.history.at(i).resourceVersion : undefined;
  }

  /** Whether a snapshot at or below `rv` is held (CanServeExactRV for a revision the cache has reached). */
  snapshotAvailable(rv: number, afterCompaction = false): boolean {
    const oldest = this.oldestSnapshotResourceVersion(afterCompaction);
    return oldest !== undefined && rv >= oldest;
  }

  /**
   * getAllEventsSince: the interval a watch must replay before its live events, and the RV it
   * resumes after. With initial events: the state (every object in scope as ADDED, key order,
   * stamped with the cache RV so later duplicates are filtered). Otherwise the history after
   * `rv`; RV 0 without initial events starts at the cache RV, and a future RV replays nothing
   * and waits for its events.
   */
  getAllEventsSince(rv: number, initialEvents: boolean, scope?: WatchScope): { interval: WatchCacheInterval; resourceVersion: number } {
    if (!this.initialized && this.history.length === 0) throw newInternalError("watch cache isn't correctly initialized");
    if (initialEvents) return { interval: intervalFromStore(this.initialStateElements(scope), this.resourceVersion, this.cfg.clock.now()), resourceVersion: this.resourceVersion };
    if (rv === 0) return { interval: emptyInterval, resourceVersion: this.resourceVersion };
    if (rv > this.resourceVersion) return { interval: emptyInterval, resourceVersion: rv };
    const oldest = this.oldestResourceVersion();
    if (rv < oldest - 1) throw newResourceExpired(`too old resource version: ${rv} (${oldest - 1})`);
    return { interval: intervalFromHistory(this.history, this.history.firstAfter(rv), this.history.endIndex), resourceVersion: rv };
  }

  /** The store's elements in the watch's scope, in key order (references, not copies). */
  private initialStateElements(scope?: WatchScope): StoreElement[] {
    const store = this.store;
    if (scope?.key !== undefined) {
      const e = store.get(scope.key);
      return e ? [e] : [];
    }
    const prefix = scope?.keyPrefix ?? '';
    if (scope?.indexValue !== undefined) {
      const out: StoreElement[] = [];
      for (const k of store.indexKeys(scope.indexValue)) if (!prefix || k.startsWith(prefix)) out.push(store.get(k)!);
      return out;
    }
    const keys = store.keysFrom(prefix);
    const out: StoreElement[] = [];
    for (let k = keys.next(); k !== undefined; k = keys.next()) {
      if (prefix && !k.startsWith(prefix)) break;
      out.push(store.get(k)!);
    }
    return out;
  }

  /** The current state. */
  currentView(): StoreView {
    return this.liveView(this.resourceVersion);
  }

  private liveView(resourceVersion: number): StoreView {
    const store = this.store;
    return { resourceVersion, keysFrom: (from, after) => store.keysFrom(from, after), get: (k) => store.get(k), live: true };
  }

  /**
   * The keys a list walks, from `start` (upstream listLatestRV): the trigger index's bucket for a
   * read of the live store that pins the trigger field and does not continue a previous page;
   * otherwise the view's keys from the prefix, or after the key a continue token names.
   */
  listKeys(view: StoreView, prefix: string, continueAfter: string | undefined, indexValue: string | undefined): { keys: KeyCursor; indexed: boolean } {
    if (indexValue !== undefined && continueAfter === undefined && view.live) {
      return { keys: arrayCursor(this.store.indexKeys(indexValue).filter((k) => k.startsWith(prefix))), indexed: true };
    }
    return { keys: view.keysFrom(continueAfter ?? prefix, continueAfter !== undefined), indexed: false };
  }

  /**
   * The state at `rv` (ListFromCacheSnapshot, KEP-4988: greatest snapshot ≤ rv). Instead of keeping clones
   * per event, the current store is rolled back through the history window, which yields the
   * same state with bounded memory. Below the oldest snapshot there is none: 410 Expired with
   * waitAndListExactRV's text, so the caller falls back to etcd as upstream does. The compactor's
   * pruning is the router's to apply (it depends on the release), so it is not checked here.
   */
  snapshotView(rv: number): StoreView {
    if (rv > this.resourceVersion) throw newInternalError(`snapshot ${rv} is newer than the cache (${this.resourceVersion})`);
    if (!this.snapshotAvailable(rv)) throw newResourceExpired(`too old resource version: ${rv}`);
    const overrides = new Map<string, StoreElement | null>();
    for (let i = this.history.firstAfter(rv); i < this.history.endIndex; i++) {
      const ev = this.history.at(i);
      if (overrides.has(ev.key)) continue;
      // The first event after rv for a key tells what the key held at rv.
      overrides.set(ev.key, ev.type === 'ADDED' ? null : (ev.prev ?? null));
    }
    const store = this.store;
    if (overrides.size === 0) return this.liveView(rv);
    const keySet = new Set(store.sortedKeys());
    for (const [k, v] of overrides) {
      if (v) keySet.add(k);
      else keySet.delete(k);
    }
    const keys = [...keySet].sort();
    return {
      resourceVersion: rv,
      keysFrom: (from, after) => arrayCursor(keys, lowerBound(keys, from, after)),
      get: (k) => (overrides.has(k) ? (overrides.get(k) ?? undefined) : store.get(k)),
      live: false,
    };
  }
}
