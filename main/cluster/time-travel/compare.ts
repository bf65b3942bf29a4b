// The comparison at the heart of the time-travel check: the answer a watch cache gave to a
// resourceVersion=0 LIST against a consistent LIST taken just before it. The consistent LIST is
// the truth at its resourceVersion; taken first, everything in it was committed before the cache
// was asked, so a cache answer at an older resourceVersion that lacks it served the past.
import { TIME_TRAVEL_MAX_EXAMPLES, type TimeTravelCounts, type TimeTravelExample, type TimeTravelVerdict } from '../../../shared/time-travel.js';

/** One LIST answer reduced to what the comparison needs: its resourceVersion and key → object RV. */
export interface Listing {
  resourceVersion: string;
  items: Map<string, string>;
}

export interface Comparison {
  verdict: TimeTravelVerdict;
  rvBehind: number;
  counts: TimeTravelCounts;
  examples: TimeTravelExample[];
}

/** resourceVersions are opaque to clients; kube-apiserver's are etcd revisions, so decimal integers. */
function rvNumber(rv: string | undefined): number | undefined {
  if (rv === undefined || !/^\d{1,15}$/.test(rv)) return undefined;
  return Number(rv);
}

export function compareListings(consistent: Listing, cache: Listing, maxExamples = TIME_TRAVEL_MAX_EXAMPLES): Comparison {
  const counts: TimeTravelCounts = { missing: 0, extra: 0, olderRv: 0, newerRv: 0 };
  // Up to `maxExamples` of each kind, then taken in turns (evidence of staleness first, newer
  // copies last), so a few examples show every way the answer differs.
  const byKind: Record<TimeTravelExample['kind'], TimeTravelExample[]> = { missing: [], extra: [], olderRv: [], newerRv: [] };
  const note = (e: TimeTravelExample) => {
    counts[e.kind]++;
    if (byKind[e.kind].length < maxExamples) byKind[e.kind].push(e);
  };
  const consistentAt = rvNumber(consistent.resourceVersion);
  const cacheAt = rvNumber(cache.resourceVersion);
  for (const [key, rv] of consistent.items) {
    const cached = cache.items.get(key);
    if (cached === undefined) note({ kind: 'missing', key, consistentRv: rv });
    else if (cached !== rv) {
      const a = rvNumber(cached);
      const b = rvNumber(rv);
      // Unparseable RVs still differ; without an order, call the cache's copy the older one.
      note({ kind: a !== undefined && b !== undefined && a > b ? 'newerRv' : 'olderRv', key, cacheRv: cached, consistentRv: rv });
    }
  }
  for (const [key, rv] of cache.items) {
    if (consistent.items.has(key)) continue;
    const a = rvNumber(rv);
    // Created after the consistent LIST and already in the cache: newer, not stale.
    if (a !== undefined && consistentAt !== undefined && a > consistentAt) note({ kind: 'newerRv', key, cacheRv: rv });
    else note({ kind: 'extra', key, cacheRv: rv });
  }
  const rvBehind = consistentAt !== undefined && cacheAt !== undefined && cacheAt < consistentAt ? consistentAt - cacheAt : 0;
  // Only an answer older than the truth can be stale; an answer at or past it differs only by
  // writes made after the consistent LIST.
  const staleEvidence = counts.missing + counts.extra + counts.olderRv;
  const behind = cacheAt !== undefined && consistentAt !== undefined ? cacheAt < consistentAt : staleEvidence > 0;
  const verdict: TimeTravelVerdict = !behind ? 'current' : staleEvidence > 0 ? 'stale' : 'olderRv';
  const examples: TimeTravelExample[] = [];
  const evidence = [byKind.missing, byKind.extra, byKind.olderRv];
  for (let i = 0; examples.length < maxExamples && evidence.some((k) => i < k.length); i++) {
    for (const k of evidence) if (i < k.length && examples.length < maxExamples) examples.push(k[i]!);
  }
  for (const e of byKind.newerRv) if (examples.length < maxExamples) examples.push(e);
  return { verdict, rvBehind, counts, examples };
}

/** namespace/name (or name) of a LIST item's metadata. */
export function itemKey(meta: { namespace?: string; name?: string } | undefined): string | undefined {
  if (!meta?.name) return undefined;
  return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
}

/** A LIST body (full objects or PartialObjectMetadataList) reduced to a Listing. */
export function listingOf(body: unknown): Listing {
  const b = body as { metadata?: { resourceVersion?: string }; items?: { metadata?: { namespace?: string; name?: string; resourceVersion?: string } }[] };
  if (!b || typeof b !== 'object' || !Array.isArray(b.items)) throw new Error('the answer is not a LIST (no items)');
  const items = new Map<string, string>();
  for (const it of b.items) {
    const key = itemKey(it?.metadata);
    if (key) items.set(key, it.metadata?.resourceVersion ?? '');
  }
  return { resourceVersion: b.metadata?.resourceVersion ?? '', items };
}
