// Handler defaulting (apimachinery pkg/apis/meta/internalversion/defaults.go
// SetListOptionsDefaults, called by endpoints/handlers/get.go before validation). With the
// WatchList gate on, a watch with resourceVersion ""/"0" that sets neither sendInitialEvents nor
// resourceVersionMatch becomes a watch-list request (sendInitialEvents=true,
// resourceVersionMatch=NotOlderThan). That is why, from 1.32 (and 1.34 on), a plain RV=""
// watch is a consistent watch served by the cache, and why with allowWatchBookmarks=true it is
// refused on an etcd lacking RequestWatchProgress.
import type { ListOptions } from './options.js';

export interface DefaultedListOptions {
  options: ListOptions;
  /** Whether defaulting changed anything. */
  defaulted: boolean;
}

export function setListOptionsDefaults(opts: ListOptions, watchListEnabled: boolean): DefaultedListOptions {
  if (!watchListEnabled || !opts.watch) return { options: opts, defaulted: false };
  if (opts.sendInitialEvents !== undefined || opts.resourceVersionMatch !== '') return { options: opts, defaulted: false };
  if (opts.resourceVersion !== '' && opts.resourceVersion !== '0') return { options: opts, defaulted: false };
  return { options: { ...opts, sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' }, defaulted: true };
}

/** The raw query with the defaulted fields written back (what the UI shows as "effective"). */
export function defaultedQuery(query: Record<string, string>, d: DefaultedListOptions): Record<string, string> {
  if (!d.defaulted) return { ...query };
  return { ...query, sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan' };
}
