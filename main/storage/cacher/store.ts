// The watch cache's current state: one element per key, listed in key order (BtreeWatchCache
// since 1.32 keeps the store ordered by key). Ordered keys (chunked, see ordered_keys.ts) + a map
// give the same ordering with O(1) lookup; an optional secondary index serves the resource's
// trigger field (pods: spec.nodeName), as the registry's IndexerFuncs do.
import type { KubeObject, StoredObject } from '../object.js';
import { OrderedKeys, type KeyCursor } from './ordered_keys.js';
import type { WatchCacheEvent } from './watch_cache_history.js';

export interface StoreElement {
  key: string;
  namespace: string;
  name: string;
  /** The stored object with metadata.resourceVersion set to its mod revision. */
  stored: StoredObject;
  labels: Record<string, string>;
  fields: Record<string, string>;
  /**
   * The ADDED event every watcher replaying this element gets (made by the first of them), so its
   * encoding is shared as a live event's is. An update is a new element, so it never goes stale.
   */
  replayed?: NonNullable<WatchCacheEvent['shared']>;
}

export const objectOf = (e: StoreElement): KubeObject => e.stored.object;

export class WatchCacheStore {
  private keys = new OrderedKeys();
  private byKey = new Map<string, StoreElement>();
  private index = new Map<string, Set<string>>();

  constructor(private readonly indexField?: string) {}

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): StoreElement | undefined {
    return this.byKey.get(key);
  }

  private indexValue(e: StoreElement): string | undefined {
    return this.indexField ? (e.fields[this.indexField] ?? '') : undefined;
  }

  put(e: StoreElement): StoreElement | undefined {
    const prev = this.byKey.get(e.key);
    if (prev) this.unindex(prev);
    else this.keys.add(e.key);
    this.byKey.set(e.key, e);
    this.addToIndex(e);
    return prev;
  }

  delete(key: string): StoreElement | undefined {
    const prev = this.byKey.get(key);
    if (!prev) return undefined;
    this.byKey.delete(key);
    this.keys.delete(key);
    this.unindex(prev);
    return prev;
  }

  private addToIndex(e: StoreElement): void {
    const v = this.indexValue(e);
    if (v === undefined) return;
    let s = this.index.get(v);
    if (!s) this.index.set(v, (s = new Set()));
    s.add(e.key);
  }

  private unindex(e: StoreElement): void {
    const v = this.indexValue(e);
    if (v === undefined) return;
    const s = this.index.get(v);
    if (!s) return;
    s.delete(e.key);
    if (s.size === 0) this.index.delete(v);
  }

  replace(elems: StoreElement[]): void {
    this.byKey.clear();
    this.index.clear();
    const sorted = [...elems].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const keys: string[] = [];
    for (const e of sorted) {
      if (!this.byKey.has(e.key)) keys.push(e.key);
      this.byKey.set(e.key, e);
      this.addToIndex(e);
    }
    this.keys = OrderedKeys.fromSorted(keys);
  }

  /** Keys in order from the first >= `from` (> when `after`), for a synchronous scan. */
  keysFrom(from = '', after = false): KeyCursor {
    return this.keys.cursor(from, after);
  }

  /** Every key in order (a copy). */
  sortedKeys(): string[] {
    return this.keys.toArray();
  }

  /** Keys of the index bucket for `value`, sorted. */
  indexKeys(value: string): string[] {
    const s = this.index.get(value);
    return s ? [...s].sort() : [];
  }
}
