// The cache-vs-etcd consistency checker (upstream: consistencyChecker in cacher/delegator.go,
// DetectCacheInconsistency, beta and on from 1.34, KEP-4988). Upstream lists the cache at RV "0",
// lists etcd at exactly the cache's resourceVersion, hashes namespace/name/resourceVersion of both
// and, on a mismatch, calls MarkConsistent(false): the watch cache stops keeping snapshots and
// drops those it has, so exact and continue reads go to etcd until a later check passes. This
// checker compares the same lists object by object and also hashes each value, so it can say which
// object differs and how (upstream 1.36 logs only the first differing item).
import type { StoredObject } from '../object.js';
import { valueHash } from '../value_hash.js';
import { everythingFields } from '../selectors/field_selector.js';
import { everythingLabels } from '../selectors/label_selector.js';
import type { CacheListOptions, CacheListResult } from './types.js';

/** Upstream's ConsistencyCheckPeriod; each wait is jittered up to 1.5× (wait.Jitter, 0.5). */
export const CONSISTENCY_CHECK_PERIOD_MS = 5 * 60_000;
/** The etcd side is read in pages of storageWatchListPageSize, as upstream does. */
export const CONSISTENCY_PAGE_SIZE = 10_000;
/** At most this many differences are kept per result; the rest are counted. */
export const MAX_DIFFERENCES = 50;

export type DifferenceKind = 'missingFromCache' | 'missingFromEtcd' | 'resourceVersion' | 'value';

export interface ConsistencyDifference {
  /** "namespace/name" (or "name" for cluster-scoped objects). */
  object: string;
  kind: DifferenceKind;
  cacheResourceVersion?: number;
  etcdResourceVersion?: number;
}

export interface ConsistencyResult {
  checkedAt: number;
  /** The cache's resourceVersion the two lists were taken at. */
  resourceVersion: number;
  state: 'match' | 'mismatch' | 'error';
  /** Objects compared (the larger of the two lists). */
  objects: number;
  differences: ConsistencyDifference[];
  differencesTotal: number;
  /** Why the check could not run (state 'error'). */
  message?: string;
  /**
   * What the cache did about it, as the profile's release would: 'snapshotsDisabled' after a
   * mismatch, 'snapshotsEnabled' after a match, 'none' when the release has no checker
   * (before 1.34) or keeps no snapshots.
   */
  consequence: 'snapshotsDisabled' | 'snapshotsEnabled' | 'none';
}

/** The cacher surface the checker needs. */
export interface CheckedCache {
  list(opts: CacheListOptions): Promise<CacheListResult>;
  readonly isReady: boolean;
  /** Upstream MarkConsistent: false stops and drops snapshots; true keeps them again from now on. */
  markConsistent(consistent: boolean): void;
}

/** One page of etcd at exactly `resourceVersion` (continue '' for the first page). */
export type EtcdLister = (resourceVersion: number, continueToken: string, limit: number) => Promise<{ items: StoredObject[]; resourceVersion: number; continue?: string }>;

export interface ConsistencyCheckerOptions {
  /** Whether the profile's release runs the checker and acts on it (DetectCacheInconsistency). */
  detectsInconsistency: () => boolean;
  /** Whether the release keeps snapshots at all (ListFromCacheSnapshot); MarkConsistent does nothing otherwise. */
  keepsSnapshots: () => boolean;
  /** 0 turns periodic checks off (on demand only). Default: upstream's 5 minutes. */
  periodMs?: number;
  onResult?: (r: ConsistencyResult) => void;
  now?: () => number;
  random?: () => number;
}

interface Entry {
  rv: number;
  hash: string;
}

/** namespace/name as the object's key names it: the collection key's suffix. */
const objectName = (stored: StoredObject, prefix: string) => (stored.key.startsWith(prefix) ? stored.key.slice(prefix.length) : stored.key);

export class ConsistencyChecker {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<ConsistencyResult> | undefined;
  private last: ConsistencyResult | undefined;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(
    private readonly cache: CheckedCache,
    private readonly etcd: EtcdLister,
    /** The resource's collection key, e.g. "/registry/pods/". */
    private readonly collectionKey: string,
    private readonly opts: ConsistencyCheckerOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  get lastResult(): ConsistencyResult | undefined {
    return this.last;
  }

  /** Periodic checks, first one after a jittered period as upstream (it waits before the first). */
  start(): void {
    const period = this.opts.periodMs ?? CONSISTENCY_CHECK_PERIOD_MS;
    if (period <= 0 || this.timer) return;
    const schedule = () => {
      this.timer = setTimeout(() => {
        void this.check().finally(() => {
          if (this.timer) schedule();
        });
      }, period * (1 + 0.5 * this.random()));
      this.timer.unref?.();
    };
    schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One check now; a check already running is joined rather than doubled. */
  check(): Promise<ConsistencyResult> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<ConsistencyResult> {
    const checkedAt = this.now();
    let result: ConsistencyResult;
    try {
      result = await this.compare(checkedAt);
    } catch (e) {
      result = { checkedAt, resourceVersion: 0, state: 'error', objects: 0, differences: [], differencesTotal: 0, message: e instanceof Error ? e.message : String(e), consequence: 'none' };
    }
    this.last = result;
    this.opts.onResult?.(result);
    return result;
  }

  private async compare(checkedAt: number): Promise<ConsistencyResult> {
    if (!this.cache.isReady) throw new Error('the cache is not ready');
    const cached = await this.cache.list({ labelSelector: everythingLabels(), fieldSelector: everythingFields(), minResourceVersion: 0 });
    const rv = cached.resourceVersion;
    const inCache = new Map<string, Entry>();
    for (const s of cached.items) inCache.set(objectName(s, this.collectionKey), { rv: s.resourceVersion, hash: valueHash(s.object) });

    const differences: ConsistencyDifference[] = [];
    let total = 0;
    const differ = (d: ConsistencyDifference) => {
      total++;
      if (differences.length < MAX_DIFFERENCES) differences.push(d);
    };
    let objects = 0;
    let token = '';
    do {
      const page = await this.etcd(token ? 0 : rv, token, CONSISTENCY_PAGE_SIZE);
      if (!token && page.resourceVersion !== rv) throw new Error(`etcd answered at revision ${page.resourceVersion}, not the cache's ${rv}`);
      for (const s of page.items) {
        objects++;
        const name = objectName(s, this.collectionKey);
        const c = inCache.get(name);
        if (!c) differ({ object: name, kind: 'missingFromCache', etcdResourceVersion: s.resourceVersion });
        else {
          inCache.delete(name);
          if (c.rv !== s.resourceVersion) differ({ object: name, kind: 'resourceVersion', cacheResourceVersion: c.rv, etcdResourceVersion: s.resourceVersion });
          else if (c.hash !== valueHash(s.object)) differ({ object: name, kind: 'value', cacheResourceVersion: c.rv, etcdResourceVersion: s.resourceVersion });
        }
      }
      token = page.continue ?? '';
    } while (token);
    for (const [name, c] of inCache) {
      objects++;
      differ({ object: name, kind: 'missingFromEtcd', cacheResourceVersion: c.rv });
    }

    const state = total === 0 ? 'match' : 'mismatch';
    let consequence: ConsistencyResult['consequence'] = 'none';
    if (this.opts.detectsInconsistency() && this.opts.keepsSnapshots()) {
      this.cache.markConsistent(state === 'match');
      consequence = state === 'match' ? 'snapshotsEnabled' : 'snapshotsDisabled';
    }
    return { checkedAt, resourceVersion: rv, state, objects, differences, differencesTotal: total, consequence };
  }
}
