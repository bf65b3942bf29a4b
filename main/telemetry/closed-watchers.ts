// Recently terminated cacheWatchers from every cache, merged into one bounded ring, newest last.
// Upstream only counts terminations (apiserver_terminated_watchers_total, issue #97845) and
// logs "Forcing ... watcher close due to unresponsiveness" (issue #125123); keeping the
// closed watchers themselves is what lets the UI say which client was cut off and why.
import type { WatcherInfo } from '../../shared/model.js';
import type { CacherView } from '../storage/cacher/types.js';
import { Ring } from '../util/ring.js';

const watcherKey = (w: WatcherInfo): string => `${w.resource}|${w.replica ?? ''}|${w.id}`;

export class ClosedWatcherLog {
  private readonly ring: Ring<WatcherInfo>;
  /**
   * Per cache: the keys it reported last time. A cache reports its own bounded ring of closed
   * watchers; anything in it that was not there last time is new. Bounded by that cache's ring.
   */
  private readonly lastSeen = new Map<CacherView, Set<string>>();

  constructor(capacity: number) {
    this.ring = new Ring(capacity);
  }

  /** Pulls what each cache closed since the last call. */
  collect(caches: CacherView[]): void {
    const fresh: WatcherInfo[] = [];
    const next = new Map<CacherView, Set<string>>();
    for (const c of caches) {
      const prev = this.lastSeen.get(c);
      const keys = new Set<string>();
      for (const w of c.closedWatchers()) {
        const k = watcherKey(w);
        keys.add(k);
        if (!prev?.has(k)) fresh.push(w);
      }
      next.set(c, keys);
    }
    // Caches that disappeared are dropped with their key sets, keeping this map bounded.
    this.lastSeen.clear();
    for (const [c, k] of next) this.lastSeen.set(c, k);
    fresh.sort((a, b) => (a.closedAt ?? 0) - (b.closedAt ?? 0) || a.id - b.id);
    for (const w of fresh) this.ring.push(w);
  }

  toArray(): WatcherInfo[] {
    return this.ring.toArray();
  }

  get length(): number {
    return this.ring.length;
  }
}
