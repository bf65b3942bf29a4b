// Where kube-apiserver keeps objects in etcd (k8s.io/apiserver registry/generic/registry
// NamespaceKeyFunc / NoNamespaceKeyFunc, kube-apiserver's --etcd-prefix and
// SpecialDefaultResourcePrefixes).
import { newBadRequest } from '../errors.js';

export const DEFAULT_ETCD_PREFIX = '/registry';

// Historical names kept by kube-apiserver so that clusters upgraded from early releases keep
// finding their data (pkg/kubeapiserver/default_storage_factory_builder.go).
const SPECIAL_DEFAULT_RESOURCE_PREFIXES: Record<string, string> = {
  '/replicationcontrollers': 'controllers',
  '/endpoints': 'services/endpoints',
  '/nodes': 'minions',
  '/services': 'services/specs',
  'extensions/ingresses': 'ingress',
  'networking.k8s.io/ingresses': 'ingress',
};

/**
 * The resource prefix of a group/resource. Custom resources live under `<group>/<plural>`
 * (apiextensions-apiserver builds their prefix that way), built-ins under the resource name.
 */
export function resourcePrefix(resource: string, group: string, opts: { customResource?: boolean } = {}): string {
  const special = SPECIAL_DEFAULT_RESOURCE_PREFIXES[`${group}/${resource}`];
  if (special) return special;
  return opts.customResource && group ? `${group}/${resource}` : resource;
}

const normalizePrefix = (etcdPrefix: string): string => {
  const trimmed = etcdPrefix.replace(/\/+$/, '');
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
};

// Recursive reads append '/' so that `/registry/pods` never matches `/registry/podsecurity...`
// (etcd3 store.go: a recursive key must end in '/').
export function collectionKey(etcdPrefix: string, resourcePrefixStr: string): string {
  const rp = resourcePrefixStr.replace(/^\/+|\/+$/g, '');
  const p = normalizePrefix(etcdPrefix);
  return `${p === '/' ? '' : p}/${rp}/`;
}

// Names become key segments, so a name like ".." would escape the collection
// (apimachinery path.ValidatePathSegmentName).
function validateSegment(what: string, value: string): void {
  if (value === '' || value === '.' || value === '..' || value.includes('/') || value.includes('%')) {
    throw newBadRequest(`${what} parameter invalid: "${value}": may not be '.', '..', empty, or contain '/' or '%'`);
  }
}

export function keyFor(etcdPrefix: string, resourcePrefixStr: string, namespace: string | undefined, name: string): string {
  validateSegment('Name', name);
  const base = collectionKey(etcdPrefix, resourcePrefixStr);
  if (namespace) {
    validateSegment('Namespace', namespace);
    return `${base}${namespace}/${name}`;
  }
  return `${base}${name}`;
}

/** The namespace and name of a full key under `collectionKeyStr`; undefined if it is not one. */
export function parseKey(fullKey: string, collectionKeyStr: string): { namespace?: string; name: string } | undefined {
  const base = collectionKeyStr.endsWith('/') ? collectionKeyStr : `${collectionKeyStr}/`;
  if (!fullKey.startsWith(base)) return undefined;
  const parts = fullKey.slice(base.length).split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return undefined;
  if (parts.length === 1) return { name: parts[0]! };
  if (parts.length === 2) return { namespace: parts[0]!, name: parts[1]! };
  return undefined;
}

/**
 * Best guess of namespace/name from a key alone, for values that cannot be decoded: the last
 * segment is the name; a key of 4+ segments (`/registry/pods/ns/name`) is taken as namespaced.
 */
export function guessKey(fullKey: string): { namespace?: string; name: string } {
  const parts = fullKey.split('/').filter((p) => p !== '');
  const name = parts[parts.length - 1] ?? fullKey;
  if (parts.length >= 4) return { namespace: parts[parts.length - 2]!, name };
  return { name };
}

/** The first key after every key with this prefix (clientv3.GetPrefixRangeEnd). */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  // All 0xff: etcd's convention for "to the end of the keyspace".
  return Buffer.from([0]);
}
