// indexedWatchers (cacher/cacher.go): every live cacheWatcher of one Cacher, and the indexes the
// dispatcher uses to find the few an event concerns instead of offering it to all of them.
// Watchers are found by their namespace/name scope, or, when their field selector pins the
// resource's trigger field (pods: spec.nodeName), only under that value, as upstream's
// valueWatchers (the reason a kubelet's watch costs nothing for other nodes' pods).
import type { CacheWatcher } from './cache_watcher.js';
import type { WatchCacheEvent } from './watch_cache_history.js';

export class IndexedWatchers {
  /** Every live watcher, including a watch-list still waiting for the cache to catch up. */
  private readonly byId = new Map<number, CacheWatcher>();
  /** Watchers by namespace/name scope ("ns/name", "ns/", "/name", "/"). */
  private readonly allWatchers = new Map<string, Set<CacheWatcher>>();
  /** Watchers registered under a trigger value. */
  private readonly valueWatchers = new Map<string, Set<CacheWatcher>>();

  constructor(private readonly indexTrigger?: string) {}

  get size(): number {
    return this.byId.size;
  }

  values(): IterableIterator<CacheWatcher> {
    return this.byId.values();
  }

  /** Known (counted, closed on relist, offered bookmarks) but not yet offered events. */
  track(w: CacheWatcher): void {
    this.byId.set(w.id, w);
  }

  untrack(w: CacheWatcher): void {
    this.byId.delete(w.id);
  }

  /** Known and indexed: from now on the dispatcher offers it every event in its scope. */
  add(w: CacheWatcher): void {
    this.byId.set(w.id, w);
    const [map, k] = this.slot(w);
    let s = map.get(k);
    if (!s) map.set(k, (s = new Set()));
    s.add(w);
  }

  delete(w: CacheWatcher): void {
    this.byId.delete(w.id);
    const [map, k] = this.slot(w);
    const s = map.get(k);
    if (s) {
      s.delete(w);
      if (s.size === 0) map.delete(k);
    }
  }

  private slot(w: CacheWatcher): [Map<string, Set<CacheWatcher>>, string] {
    const tv = w.triggerValue;
    return tv !== undefined ? [this.valueWatchers, tv] : [this.allWatchers, `${w.cfg.namespace ?? ''}/${w.cfg.name ?? ''}`];
  }

  /** The watchers an event may concern, each once, in a stable order. */
  candidates(ev: WatchCacheEvent): CacheWatcher[] {
    const out: CacheWatcher[] = [];
    // Per event, so no closure or key strings when nothing could match.
    if (this.allWatchers.size === 0 && this.valueWatchers.size === 0) return out;
    const seen = new Set<CacheWatcher>();
    const el = ev.cur ?? ev.prev;
    const ns = el?.namespace ?? '';
    const name = el?.name ?? '';
    addUnseen(this.allWatchers.get(`${ns}/${name}`), seen, out);
    addUnseen(this.allWatchers.get(`${ns}/`), seen, out);
    addUnseen(this.allWatchers.get(`/${name}`), seen, out);
    addUnseen(this.allWatchers.get('/'), seen, out);
    const trig = this.indexTrigger;
    if (trig && this.valueWatchers.size) {
      // An object whose trigger value changed leaves one watcher's scope and enters another's:
      // both must see the event (DELETED for one, ADDED for the other).
      const a = ev.cur?.fields[trig];
      const b = ev.prev?.fields[trig];
      if (a !== undefined) addUnseen(this.valueWatchers.get(a), seen, out);
      if (b !== undefined && b !== a) addUnseen(this.valueWatchers.get(b), seen, out);
    }
    return out;
  }
}

function addUnseen(s: Set<CacheWatcher> | undefined, seen: Set<CacheWatcher>, out: CacheWatcher[]): void {
  if (!s) return;
  for (const w of s) {
    if (!seen.has(w)) {
      seen.add(w);
      out.push(w);
    }
  }
}
