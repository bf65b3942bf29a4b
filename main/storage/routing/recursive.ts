// Whether a LIST or WATCH reads one key or a whole collection — one rule for the endpoint and for
// what-if. The registry reads a single key only when the field selector pins metadata.name AND
// it can build the key: cluster-scoped, or a namespace in the request (NamespaceKeyFunc fails
// without one, so a cluster-wide list with metadata.name=x stays recursive). Upstream's
// exact-revision and continue rules (1.33+) treat a single-key read differently.
import { parseFieldSelector } from '../selectors/field_selector.js';
import type { RoutingVerb } from './decide.js';

export interface KeyScope {
  namespaced: boolean;
  /** The request's namespace ('' or undefined: all namespaces). */
  namespace?: string;
  /** A name in the path (a watch of one object): always a single key. */
  name?: string;
}

/** The name read as a single key, or undefined when the read stays recursive. */
export function singleKeyName(fieldSelector: { requiresExactMatch(field: string): string | undefined }, scope: KeyScope): string | undefined {
  const pinned = fieldSelector.requiresExactMatch('metadata.name');
  return pinned !== undefined && (!scope.namespaced || scope.namespace) ? pinned : undefined;
}

/** The RoutingRequest's `recursive` for a request given as text (what-if, audit events). */
export function isRecursive(verb: RoutingVerb, fieldSelectorText: string | undefined, scope: KeyScope): boolean {
  if (verb !== 'list' && verb !== 'watch') return false;
  if (scope.name) return false;
  try {
    return singleKeyName(parseFieldSelector(fieldSelectorText), scope) === undefined;
  } catch {
    // A selector that does not parse is refused before routing; the shape does not matter.
    return true;
  }
}
