// The store's keys in order, as a sorted array of bounded chunks. A single sorted array costs
// O(n) per insert (a create into a namespace that sorts before most keys moves all of them);
// upstream keeps a B-tree (BtreeWatchCache). Chunks keep the O(log n) search and the ordered scan
// from any key that LIST, continue and initial state need, while a write moves at most one
// chunk's keys (and, on a split or merge, the short list of chunks).

/** Index of the first element of `keys` that is >= key (or > key when `after`). */
export function lowerBound(keys: readonly string[], key: string, after = false): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid]!;
    if (k < key || (after && k === key)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Keys in order, one at a time; undefined at the end. */
export interface KeyCursor {
  next(): string | undefined;
}

/** A cursor over a sorted array from index `start`. */
export function arrayCursor(keys: readonly string[], start = 0): KeyCursor {
  let i = start;
  return { next: () => (i < keys.length ? keys[i++] : undefined) };
}

/** A chunk splits in two when it grows past this many keys. */
export const maxChunkKeys = 512;
/** A chunk this small merges into a neighbour when both fit in one. */
const minChunkKeys = maxChunkKeys >>> 2;

export class OrderedKeys {
  private chunks: string[][] = [];
  /** The last (greatest) key of each chunk: the search over chunks. */
  private lasts: string[] = [];
  private count = 0;
  /** Bumped by every change, so a cursor used across one fails loudly instead of skipping keys. */
  private version = 0;

  /** Builds from keys already sorted and unique. */
  static fromSorted(keys: readonly string[]): OrderedKeys {
    const o = new OrderedKeys();
    // Half-full chunks leave room for inserts before the first split.
    const step = maxChunkKeys >>> 1;
    for (let i = 0; i < keys.length; i += step) {
      const c = keys.slice(i, i + step);
      o.chunks.push(c);
      o.lasts.push(c[c.length - 1]!);
    }
    o.count = keys.length;
    return o;
  }

  get size(): number {
    return this.count;
  }

  /** Adds `key`; false when it was already there. */
  add(key: string): boolean {
    const { chunks, lasts } = this;
    if (chunks.length === 0) {
      chunks.push([key]);
      lasts.push(key);
      this.count++;
      this.version++;
      return true;
    }
    let ci = lowerBound(lasts, key);
    if (ci === chunks.length) ci--;
    const chunk = chunks[ci]!;
    const i = lowerBound(chunk, key);
    if (chunk[i] === key) return false;
    if (i === chunk.length) {
      chunk.push(key);
      lasts[ci] = key;
    } else {
      chunk.splice(i, 0, key);
    }
    if (chunk.length > maxChunkKeys) {
      const right = chunk.splice(chunk.length >>> 1);
      chunks.splice(ci + 1, 0, right);
      lasts.splice(ci, 1, chunk[chunk.length - 1]!, right[right.length - 1]!);
    }
    this.count++;
    this.version++;
    return true;
  }

  /** Removes `key`; false when it was not there. */
  delete(key: string): boolean {
    const { chunks, lasts } = this;
    const ci = lowerBound(lasts, key);
    if (ci === chunks.length) return false;
    const chunk = chunks[ci]!;
    const i = lowerBound(chunk, key);
    if (chunk[i] !== key) return false;
    chunk.splice(i, 1);
    this.count--;
    this.version++;
    if (chunk.length === 0) {
      chunks.splice(ci, 1);
      lasts.splice(ci, 1);
      return true;
    }
    if (i === chunk.length) lasts[ci] = chunk[chunk.length - 1]!;
    if (chunk.length < minChunkKeys) this.mergeSmall(ci);
    return true;
  }

  /** Folds a shrunken chunk into a neighbour, so deletes cannot leave many near-empty chunks. */
  private mergeSmall(ci: number): void {
    const { chunks, lasts } = this;
    const chunk = chunks[ci]!;
    const prev = chunks[ci - 1];
    const next = chunks[ci + 1];
    if (prev && prev.length + chunk.length <= maxChunkKeys) {
      for (const k of chunk) prev.push(k);
      lasts[ci - 1] = lasts[ci]!;
      chunks.splice(ci, 1);
      lasts.splice(ci, 1);
    } else if (next && next.length + chunk.length <= maxChunkKeys) {
      chunks[ci + 1] = chunk.concat(next);
      chunks.splice(ci, 1);
      lasts.splice(ci, 1);
    }
  }

  /**
   * A cursor from the first key >= `from` (> when `after`). For synchronous scans: it throws if
   * the keys change before it is done.
   */
  cursor(from = '', after = false): KeyCursor {
    const { chunks } = this;
    let ci = lowerBound(this.lasts, from, after);
    let i = ci < chunks.length ? lowerBound(chunks[ci]!, from, after) : 0;
    const version = this.version;
    return {
      next: () => {
        if (this.version !== version) throw new Error('OrderedKeys changed during a scan');
        const chunk = chunks[ci];
        if (!chunk) return undefined;
        const k = chunk[i++]!;
        if (i === chunk.length) {
          ci++;
          i = 0;
        }
        return k;
      },
    };
  }

  /** Every key in order (a copy). */
  toArray(): string[] {
    const out: string[] = [];
    for (const c of this.chunks) for (const k of c) out.push(k);
    return out;
  }
}
