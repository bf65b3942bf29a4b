// What a cluster serves, from legacy discovery (/api, /apis, /apis/<group>/<version>), and which
// of it the user may list and watch (SelfSubjectAccessReview, the same check `kubectl auth can-i`
// makes). Works on every release that kind/minikube/cloud clusters run, down to 1.20.
import { resourcePrefix, collectionKey } from '../etcd/keys.js';
import type { KubeClient } from './client.js';
import { KubeError } from './errors.js';

export interface KubeResource {
  group: string;
  version: string;
  /** Plural, as in URLs. */
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

export interface DiscoveredResource extends KubeResource {
  /** SelfSubjectAccessReview answers at cluster scope (all namespaces). */
  canList: boolean;
  canWatch: boolean;
  /** Part of the default selection: listable and watchable and commonly interesting. */
  defaultSelected: boolean;
}

/** `pods` or `deployments.apps`, as kubectl and RBAC messages write them. */
export const qualifiedResource = (r: Pick<KubeResource, 'group' | 'resource'>): string =>
  r.group ? `${r.resource}.${r.group}` : r.resource;

/** The REST path of the collection (namespace '' or undefined = all namespaces). */
export function collectionPath(r: KubeResource, namespace?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return namespace && r.namespaced ? `${base}/namespaces/${encodeURIComponent(namespace)}/${r.resource}` : `${base}/${r.resource}`;
}

export function objectPath(r: KubeResource, namespace: string | undefined, name: string): string {
  return `${collectionPath(r, namespace)}/${encodeURIComponent(name)}`;
}

const BUILTIN_GROUP_SUFFIX = /(^$|\.k8s\.io$|^apps$|^batch$|^policy$|^autoscaling$|^extensions$)/;

/**
 * The collection key kube-apiserver itself would use in etcd (`/registry/pods/`,
 * `/registry/minions/` ...), so a kube-mode cache and an etcd-mode cache of the same cluster
 * key their objects identically. Custom resources (any group not built in) live under
 * `<group>/<plural>`.
 */
export function defaultCollectionKey(r: Pick<KubeResource, 'group' | 'resource'>): string {
  const custom = r.group !== '' && !BUILTIN_GROUP_SUFFIX.test(r.group);
  return collectionKey('/registry', resourcePrefix(r.resource, r.group, { customResource: custom }));
}

// Resources worth watching by default: the ones controllers and people look at most. Events are
// left out on purpose (kube-apiserver does not cache them: DefaultWatchCacheSizes sets 0).
const DEFAULT_SELECTION = new Set([
  'pods',
  'configmaps',
  'services',
  'endpoints',
  'namespaces',
  'nodes',
  'serviceaccounts',
  'deployments.apps',
  'replicasets.apps',
  'statefulsets.apps',
  'daemonsets.apps',
  'jobs.batch',
  'leases.coordination.k8s.io',
  'endpointslices.discovery.k8s.io',
]);

interface APIResourceList {
  groupVersion: string;
  resources: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[];
}

/** Every list+watch-able resource at each group's preferred version. */
export async function discoverServedResources(client: KubeClient): Promise<KubeResource[]> {
  const out: KubeResource[] = [];
  const take = (list: APIResourceList) => {
    const [group, version] = list.groupVersion.includes('/') ? list.groupVersion.split('/') : ['', list.groupVersion];
    for (const r of list.resources ?? []) {
      const verbs = r.verbs ?? [];
      if (r.name.includes('/') || !verbs.includes('list') || !verbs.includes('watch')) continue;
      out.push({ group: group!, version: version!, resource: r.name, kind: r.kind, namespaced: r.namespaced, verbs });
    }
  };
  take(await client.json<APIResourceList>('GET', '/api/v1', { verb: 'discover', resource: 'core/v1' }));
  const groups = await client.json<{ groups: { name: string; preferredVersion?: { groupVersion: string }; versions: { groupVersion: string }[] }[] }>(
    'GET',
    '/apis',
    { verb: 'discover', resource: 'API groups' },
  );
  const gvs = groups.groups.map((g) => g.preferredVersion?.groupVersion ?? g.versions[0]?.groupVersion).filter((x): x is string => !!x);
  // A broken aggregated API (metrics-server down is common) answers 503; skip it rather than fail.
  const lists = await mapLimit(gvs, 6, async (gv) => {
    try {
      return await client.json<APIResourceList>('GET', `/apis/${gv}`, { verb: 'discover', resource: gv });
    } catch {
      return undefined;
    }
  });
  for (const l of lists) if (l) take(l);
  return out;
}

/** `kubectl auth can-i <verb> <resource> --all-namespaces`. */
export async function canI(client: KubeClient, verb: string, r: Pick<KubeResource, 'group' | 'resource'>, namespace?: string): Promise<boolean> {
  const review = await client.json<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb, group: r.group, resource: r.resource, ...(namespace ? { namespace } : {}) } },
    },
    verb: 'create',
    resource: 'selfsubjectaccessreviews.authorization.k8s.io',
  });
  return review.status?.allowed === true;
}

export async function discoverResources(client: KubeClient): Promise<DiscoveredResource[]> {
  const served = await discoverServedResources(client);
  return mapLimit(served, 8, async (r) => {
    // A server that does not serve the authorization API (404: another watchscope endpoint, some
    // aggregating proxies) cannot be asked in advance; assume yes and let LIST/WATCH answer.
    const ask = (verb: string) => canI(client, verb, r).catch((e: unknown) => e instanceof KubeError && e.status === 404);
    const [canList, canWatch] = await Promise.all([ask('list'), ask('watch')]);
    return { ...r, canList, canWatch, defaultSelected: canList && canWatch && DEFAULT_SELECTION.has(qualifiedResource(r)) };
  });
}

async function mapLimit<T, U>(items: T[], limit: number, fn: (t: T) => Promise<U>): Promise<U[]> {
  const out: U[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}
