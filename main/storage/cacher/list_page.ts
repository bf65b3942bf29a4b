// One page of a LIST from the cache (the scan in cacher.go GetList): walk the view's keys from
// where the request starts, keep what the selectors match up to the limit, and say whether a
// continue token is owed and how many items remain.
import type { StoredObject } from '../object.js';
import type { KeyCursor } from './ordered_keys.js';
import type { StoreElement } from './store.js';
import type { StoreView } from './watch_cache.js';

export interface ListPageOptions {
  /** Scope: the collection key, plus the namespace and '/' for a namespaced read. */
  prefix: string;
  collectionKey: string;
  matches: (e: StoreElement) => boolean;
  /** 0 = no limit. */
  limit: number;
  /** No label or field selector: only then is remainingItemCount known. */
  selectorsEmpty: boolean;
}

export interface ListPage {
  items: StoredObject[];
  /** The last item's key relative to the collection key, when a continue token is owed. */
  continueKey?: string;
  remainingItemCount?: number;
}

/** `keys` is positioned where the request starts (listKeys). */
export function listPage(view: StoreView, keys: KeyCursor, o: ListPageOptions): ListPage {
  const items: StoredObject[] = [];
  let continueKey: string | undefined;
  let k = keys.next();
  for (; k !== undefined; k = keys.next()) {
    if (!k.startsWith(o.prefix)) break;
    const e = view.get(k)!;
    if (o.matches(e)) items.push(e.stored);
    if (o.limit && items.length >= o.limit) {
      // hasMoreListItems (cacher.go GetList): a token whenever anything is left to scan,
      // matching or not, so with a selector the next page can be empty.
      k = keys.next();
      if (k !== undefined && k.startsWith(o.prefix)) continueKey = items[items.length - 1]!.key.slice(o.collectionKey.length);
      break;
    }
  }
  const page: ListPage = { items };
  if (continueKey === undefined) return page;
  page.continueKey = continueKey;
  // remainingItemCount only when no selector could drop any of the rest (upstream's
  // PrepareContinueToken); with selectors the count would be a guess.
  if (o.selectorsEmpty) {
    let n = 0;
    for (; k !== undefined && k.startsWith(o.prefix); k = keys.next()) n++;
    page.remainingItemCount = n;
  }
  return page;
}
