// Per-resource freshness series: how far each cache's resourceVersion trails the source's
// revision over time. One fixed-size ring per cache key, sampled once per snapshot, so a long
// session keeps a constant-size window (the UI's "Freshness" chart).
import type { CacheInfo, FreshnessPoint } from '../../shared/model.js';
import { Ring } from '../util/ring.js';

/** "pods", or "pods@replica-b" when several replicas of one resource are shown side by side. */
export function cacheKey(info: Pick<CacheInfo, 'resource' | 'group' | 'replica'>): string {
  const res = info.group ? `${info.resource}.${info.group}` : info.resource;
  return info.replica ? `${res}@${info.replica}` : res;
}

export class FreshnessSeries {
  private readonly rings = new Map<string, Ring<FreshnessPoint>>();

  constructor(readonly points: number) {}

  /** Adds one point per cache; forgets caches that are gone (a new connection, a stopped replica). */
  sample(t: number, caches: CacheInfo[]): void {
    const present = new Set<string>();
    for (const c of caches) {
      const key = cacheKey(c);
      present.add(key);
      let ring = this.rings.get(key);
      if (!ring) {
        ring = new Ring(this.points);
        this.rings.set(key, ring);
      }
      ring.push({ t, sourceRevision: c.sourceRevision, cacheRevision: c.resourceVersion, lagMs: c.lagMs });
    }
    for (const key of [...this.rings.keys()]) if (!present.has(key)) this.rings.delete(key);
  }

  /** Replaces every series with the given points (a replay's keyframe), keeping the newest that fit. */
  load(series: Record<string, FreshnessPoint[]>): void {
    this.rings.clear();
    for (const [key, points] of Object.entries(series)) {
      const ring = new Ring<FreshnessPoint>(this.points);
      for (const p of points) ring.push(p);
      this.rings.set(key, ring);
    }
  }

  toRecord(): Record<string, FreshnessPoint[]> {
    const out: Record<string, FreshnessPoint[]> = {};
    for (const [k, r] of this.rings) out[k] = r.toArray();
    return out;
  }

  get keys(): number {
    return this.rings.size;
  }
}
