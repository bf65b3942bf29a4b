// A pods Cacher on an etcd Source, and cacheWatchers drained as fast as a client could read them,
// shared by the ingest, CPU and memory benches.
import type { Source } from '../main/storage/source.js';
import { Cacher } from '../main/storage/cacher/cacher.js';
import type { CacheWatcherHandle } from '../main/storage/cacher/types.js';
import { everythingLabels } from '../main/storage/selectors/label_selector.js';
import { everythingFields } from '../main/storage/selectors/field_selector.js';

export function podsCacher(source: Source): Cacher {
  return new Cacher({
    group: '',
    resource: 'pods',
    kind: 'Pod',
    apiVersion: 'v1',
    collectionKey: '/registry/pods/',
    namespaced: true,
    indexTrigger: 'spec.nodeName',
    source,
    log: () => undefined,
  });
}

export interface DrainedWatcher {
  handle: CacheWatcherHandle;
  /** Non-bookmark events read so far. */
  events: number;
  /** Highest resourceVersion read. */
  lastRV: number;
  /** Resolves when the watcher is closed and drained. */
  done: Promise<void>;
}

/**
 * `n` all-namespace watches starting at the cache's current RV (sendInitialEvents=false), each
 * read in its own loop like an HTTP writer that never blocks.
 */
export function attachWatchers(cacher: Cacher, n: number): DrainedWatcher[] {
  const out: DrainedWatcher[] = [];
  for (let i = 0; i < n; i++) {
    const handle = cacher.watch({
      labelSelector: everythingLabels(),
      fieldSelector: everythingFields(),
      resourceVersion: 0,
      resourceVersionText: '0',
      sendInitialEvents: false,
      allowWatchBookmarks: true,
      deadline: Date.now() + 3600_000,
      userAgent: 'watchscope-bench',
    });
    const w: DrainedWatcher = { handle, events: 0, lastRV: 0, done: Promise.resolve() };
    w.done = (async () => {
      for (;;) {
        // Take what is buffered without a promise per event, as the endpoint's writer does.
        let ev = handle.tryNext();
        if (ev === undefined) ev = await handle.next();
        if (!ev) return;
        if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') continue;
        w.events++;
        const rv = Number((ev.object as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion);
        if (rv > w.lastRV) w.lastRV = rv;
      }
    })();
    out.push(w);
  }
  return out;
}
