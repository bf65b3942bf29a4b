// The built-in resources watchscope can serve. Each entry carries what discovery advertises
// (group/version/kind, verbs, short names) and where kube-apiserver keeps the collection in etcd
// (SpecialDefaultResourcePrefixes: nodes→minions, services→services/specs, endpoints→
// services/endpoints), so the same data written by a real apiserver is found under the same keys.

export interface ResourceInfo {
  /** Plural resource name as in URLs, e.g. "pods". */
  resource: string;
  singularName: string;
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
  categories?: string[];
  /** Path under the etcd prefix, e.g. "minions" for nodes (kube-apiserver's resource prefix). */
  etcdResourcePrefix: string;
  /** Field the watch cache indexes and uses as a trigger (pods: spec.nodeName). */
  indexTrigger?: string;
  /**
   * Whether kube-apiserver runs a watch cache for it by default. DefaultWatchCacheSizes()
   * sets events to size 0, which disables the cache (reads and watches go to etcd).
   */
  watchCacheEnabled: boolean;
}

import { DEFAULT_ETCD_PREFIX, collectionKey as etcdCollectionKey, keyFor } from './etcd/keys.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function r(
  resource: string,
  kind: string,
  opts: Partial<ResourceInfo> & { group?: string; version?: string } = {},
): ResourceInfo {
  return {
    resource,
    singularName: opts.singularName ?? kind.toLowerCase(),
    group: opts.group ?? '',
    version: opts.version ?? 'v1',
    kind,
    listKind: `${kind}List`,
    namespaced: opts.namespaced ?? true,
    shortNames: opts.shortNames ?? [],
    verbs: opts.verbs ?? ALL_VERBS,
    categories: opts.categories,
    etcdResourcePrefix: opts.etcdResourcePrefix ?? resource,
    indexTrigger: opts.indexTrigger,
    watchCacheEnabled: opts.watchCacheEnabled ?? true,
  };
}

export const BUILTIN_RESOURCES: readonly ResourceInfo[] = [
  r('pods', 'Pod', { shortNames: ['po'], categories: ['all'], indexTrigger: 'spec.nodeName' }),
  r('configmaps', 'ConfigMap', { shortNames: ['cm'] }),
  r('secrets', 'Secret'),
  r('services', 'Service', { shortNames: ['svc'], categories: ['all'], etcdResourcePrefix: 'services/specs' }),
  r('endpoints', 'Endpoints', { shortNames: ['ep'], singularName: 'endpoints', etcdResourcePrefix: 'services/endpoints' }),
  r('namespaces', 'Namespace', { shortNames: ['ns'], namespaced: false }),
  r('nodes', 'Node', { shortNames: ['no'], namespaced: false, etcdResourcePrefix: 'minions' }),
  r('events', 'Event', { shortNames: ['ev'], watchCacheEnabled: false }),
  r('serviceaccounts', 'ServiceAccount', { shortNames: ['sa'] }),
  r('deployments', 'Deployment', { group: 'apps', shortNames: ['deploy'], categories: ['all'] }),
  r('replicasets', 'ReplicaSet', { group: 'apps', shortNames: ['rs'], categories: ['all'] }),
  r('leases', 'Lease', { group: 'coordination.k8s.io' }),
];

export { DEFAULT_ETCD_PREFIX };

/** Collection key with a trailing '/' so "/registry/pods" never matches "/registry/podsx". */
export function collectionKey(res: ResourceInfo, etcdPrefix = DEFAULT_ETCD_PREFIX): string {
  return etcdCollectionKey(etcdPrefix, res.etcdResourcePrefix);
}

/** Key of one object: <collection><ns>/<name> or <collection><name> for cluster-scoped. */
export function objectKey(res: ResourceInfo, namespace: string | undefined, name: string, etcdPrefix = DEFAULT_ETCD_PREFIX): string {
  return keyFor(etcdPrefix, res.etcdResourcePrefix, res.namespaced ? namespace : undefined, name);
}

/** Key prefix for one namespace of a namespaced collection. */
export function namespaceKey(res: ResourceInfo, namespace: string, etcdPrefix = DEFAULT_ETCD_PREFIX): string {
  return `${collectionKey(res, etcdPrefix)}${namespace}/`;
}

/** "pods" for the core group, "deployments.apps" otherwise (how kube names a resource in messages). */
export const qualifiedResource = (res: ResourceInfo): string => (res.group ? `${res.resource}.${res.group}` : res.resource);

export const groupVersion = (res: ResourceInfo): string => (res.group ? `${res.group}/${res.version}` : res.version);

export class ResourceRegistry {
  constructor(readonly resources: readonly ResourceInfo[] = BUILTIN_RESOURCES) {}

  find(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.resources.find((x) => x.group === group && x.version === version && x.resource === resource);
  }

  byName(qualified: string): ResourceInfo | undefined {
    return this.resources.find((x) => qualifiedResource(x) === qualified || (x.group === '' && x.resource === qualified));
  }

  /** Group → versions served, core group first (discovery order matters for kubectl's preference). */
  groups(): { group: string; versions: string[] }[] {
    const out: { group: string; versions: string[] }[] = [];
    for (const x of this.resources) {
      let g = out.find((o) => o.group === x.group);
      if (!g) out.push((g = { group: x.group, versions: [] }));
      if (!g.versions.includes(x.version)) g.versions.push(x.version);
    }
    return out;
  }

  inGroupVersion(group: string, version: string): ResourceInfo[] {
    return this.resources.filter((x) => x.group === group && x.version === version);
  }
}
