// The Cacher's public surface, used by the endpoint (main/storage/apiserver) and by telemetry.
import type { KubeObject, StoredObject } from '../object.js';
import type { Status } from '../errors.js';
import type { CloseReason, WatcherInfo, CacheInfo } from '../../../shared/model.js';

/** Parsed label/field selectors (main/storage/selectors). */
export interface Selector {
  /** The selector as the client wrote it ('' when empty). */
  readonly text: string;
  readonly empty: boolean;
  matches(set: Record<string, string>): boolean;
  /** For field selectors: the value required for `field` by an exact match, if any (index use). */
  requiresExactMatch(field: string): string | undefined;
}

export interface CacheListOptions {
  /** Scope: '' or undefined lists all namespaces. */
  namespace?: string;
  /** Non-recursive single-key read (field selector pinned metadata.name). */
  name?: string;
  labelSelector: Selector;
  fieldSelector: Selector;
  /**
   * Minimum cache RV the answer must reflect (waitUntilFresh, 3s then 504). 0 = no wait.
   */
  minResourceVersion: number;
  /** Serve from the snapshot at this RV (Exact / continue / legacy exact with ListFromCacheSnapshot). */
  snapshotResourceVersion?: number;
  /** While waiting, ask the source for progress notifications (consistent reads). */
  requestProgress?: boolean;
  /** Page size; 0 or undefined = unlimited. */
  limit?: number;
  /** Continue after this key suffix (relative to the resource prefix), exclusive. */
  continueKey?: string;
}

export interface CacheListResult {
  items: StoredObject[];
  /** RV of the answer (cache RV, or the snapshot RV). */
  resourceVersion: number;
  /** When truncated by limit: the key suffix (relative to the resource prefix) of the last item. */
  continueKey?: string;
  /** Items left after this page (only when selectors are empty, as upstream). */
  remainingItemCount?: number;
  /** How long the read waited for freshness. */
  waitedMs: number;
  /** Set when the read used the resource's trigger index (upstream metric label, e.g. "f:spec.nodeName"). */
  index?: string;
}

/**
 * What a watch asks for, whoever serves it (the Cacher, or storage when the cache is off or the
 * router sends the watch there): upstream's storage.ListOptions and SelectionPredicate for a watch.
 */
export interface WatchRequestOptions {
  namespace?: string;
  name?: string;
  labelSelector: Selector;
  fieldSelector: Selector;
  /** Parsed RV; 0 means "from the current state" (see areInitialEventsRequired). */
  resourceVersion: number;
  /** The original string ('' vs '0' matters for display). */
  resourceVersionText: string;
  allowWatchBookmarks: boolean;
  userAgent: string;
}

export interface CacheWatchOptions extends WatchRequestOptions {
  /**
   * The client's sendInitialEvents after the WatchList gate; undefined when not sent. With RV 0,
   * absent is the legacy initial-state watch and `false` starts at the cache RV without it.
   */
  sendInitialEvents?: boolean;
  /** A watch-list at a future RV waits for the cache; with this, progress is requested meanwhile. */
  requestProgress?: boolean;
  /**
   * Watch-list: send the k8s.io/initial-events-end bookmark straight after the initial events, at
   * the cache's RV when the watcher registered (1.32+ setInitialEventsEndBookmarkIfRequested);
   * otherwise it waits for the bookmark ticker (1.27–1.31).
   */
  initialEventsEndBookmarkAfterInterval?: boolean;
  /** Watch-list: the end bookmark is owed once the cache reaches this RV (default: resourceVersion). */
  bookmarkAfterResourceVersion?: number;
  /** Absolute deadline (ms since epoch) of the watch request; bookmarks stop 2s before it. */
  deadline: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject | Status;
}

/** What a client-facing watch sees of its cacheWatcher. */
export interface CacheWatcherHandle {
  readonly id: number;
  /**
   * Next event from the result buffer, or null once the watcher is closed and drained.
   * The consumer calls it only when it can write (socket drained), which is how a slow
   * client's buffers fill up, as with upstream's result channel.
   */
  next(): Promise<WatchEvent | null>;
  /** Without waiting: the next ready event, null once closed and drained, undefined if none yet. */
  tryNext(): WatchEvent | null | undefined;
  /** Resolves when tryNext has an event or the end to give (one promise per wake). */
  ready(): Promise<void>;
  /** Client went away or the request ended. */
  stop(reason: CloseReason, message?: string): void;
  info(): WatcherInfo;
}

export interface CacherView {
  info(): CacheInfo;
  liveWatchers(): WatcherInfo[];
  closedWatchers(): WatcherInfo[];
}
