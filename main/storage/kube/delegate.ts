// The kube-mode StorageDelegate: what the endpoint reads and writes "in storage" when storage is a
// cluster's kube-apiserver. Requests go to the cluster with the same parameters (resourceVersion,
// resourceVersionMatch, limit, continue, selectors) through KubeStore; objects come back as
// StoredObjects keyed like kube-apiserver's etcd keys, with the cluster's resourceVersion playing
// etcd's revision.
import type { KubeObject, StoredObject } from '../object.js';
import type { ResourceInfo } from '../resources.js';
import type { StorageDelegate } from '../apiserver/backend.js';
import type { KubeSource } from './source.js';
import type { KubeStore } from './store.js';

function storedOf(obj: KubeObject, key: string): StoredObject {
  const rv = Number(obj.metadata?.resourceVersion ?? 0);
  return { key, object: obj, resourceVersion: Number.isFinite(rv) ? rv : 0, encoding: 'json', size: 0 };
}

export function kubeDelegate(store: KubeStore, source: KubeSource, res: ResourceInfo, key: string): StorageDelegate {
  const keyOf = (o: KubeObject) => `${key}${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
  return {
    async getList(o) {
      const r = await store.getList({
        ...(o.namespace ? { namespace: o.namespace } : {}),
        resourceVersion: o.resourceVersion,
        ...(o.resourceVersionMatch ? { resourceVersionMatch: o.resourceVersionMatch } : {}),
        ...(o.limit ? { limit: o.limit } : {}),
        ...(o.continue ? { continue: o.continue } : {}),
        ...(o.labelSelector.text ? { labelSelector: o.labelSelector.text } : {}),
        fieldSelector: [o.fieldSelector.text, o.name ? `metadata.name=${o.name}` : ''].filter(Boolean).join(',') || undefined,
      } as Parameters<KubeStore['getList']>[0]);
      const out: Awaited<ReturnType<StorageDelegate['getList']>> = {
        items: r.items.map((i) => storedOf(i, keyOf(i))),
        resourceVersion: Number(r.resourceVersion) || 0,
      };
      if (r.continue) out.continue = r.continue;
      if (r.remainingItemCount !== undefined) out.remainingItemCount = r.remainingItemCount;
      return out;
    },
    async get(namespace, name, o) {
      const obj = await store.get(namespace, name, o.resourceVersion ? { resourceVersion: o.resourceVersion } : {});
      return storedOf(obj, keyOf(obj));
    },
    async create(namespace, _name, obj) {
      const r = await store.create(namespace, obj);
      return storedOf(r, keyOf(r));
    },
    async update(namespace, name, obj, expected) {
      const body = expected ? { ...obj, metadata: { ...obj.metadata, resourceVersion: String(expected) } } : obj;
      const r = await store.update(namespace, name, body);
      return storedOf(r, keyOf(r));
    },
    async delete(namespace, name, preconditions) {
      const r = await store.delete(namespace, name, preconditions ? { preconditions } : {});
      return storedOf(r, keyOf(r));
    },
    currentRevision: () => source.currentRevision(key),
    appliesRegistryRules: true,
    servedByName: "the cluster's kube-apiserver",
  };
}
