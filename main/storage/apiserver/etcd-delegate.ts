// The etcd-mode StorageDelegate: the endpoint's raw list options (resourceVersion,
// resourceVersionMatch, limit, continue) mapped onto the etcd3 store the way etcd3 GetList
// interprets them (§5.4: ""/"0" latest, NotOlderThan latest with a minimum, Exact / legacy exact
// / continue pinned to a revision), selectors applied as the store's filter.
import type { EtcdStore } from '../etcd/store.js';
import { ContinueExpiredError } from '../etcd/store.js';
import { newBadRequest, newNotFound, newTooLargeResourceVersion } from '../errors.js';
import { ContinueTokenError, decodeContinue, prepareContinueToken } from '../continue.js';
import { objectFields } from '../selectors/object_fields.js';
import type { ResourceInfo } from '../resources.js';
import type { StoredObject } from '../object.js';
import type { DelegateListOptions, DelegateListResult, StorageDelegate } from './backend.js';

function parseRV(text: string): number {
  if (text === '' || text === '0') return 0;
  if (!/^\d+$/.test(text)) throw newBadRequest(`invalid resource version: ${text}`);
  return Number(text);
}

/** The key prefix continue tokens are relative to: the collection, or one namespace of it. */
export function scopePrefix(collectionKey: string, namespace: string | undefined): string {
  return collectionKey + (namespace ? `${namespace}/` : '');
}

/** Decodes a client's continue token into a key suffix relative to the collection (exclusive start). */
export function continueKeyFromToken(token: string, collectionKey: string, namespace: string | undefined): { rv: number; continueKey: string } {
  let d;
  try {
    d = decodeContinue(token, scopePrefix(collectionKey, namespace));
  } catch (e) {
    throw newBadRequest(`invalid continue token: ${e instanceof ContinueTokenError ? e.message : String(e)}`);
  }
  // Tokens point at "last key + NUL"; the stores resume strictly after the last key.
  const suffix = d.key.slice(collectionKey.length).replace(/\u0000$/, '');
  return { rv: d.rv, continueKey: suffix };
}

export function etcdStoreDelegate(store: EtcdStore, res: ResourceInfo): StorageDelegate {
  const collection = store.resource.collectionKey.endsWith('/') ? store.resource.collectionKey : `${store.resource.collectionKey}/`;
  return {
    async getList(o: DelegateListOptions): Promise<DelegateListResult> {
      const ns = res.namespaced && o.namespace ? o.namespace : undefined;
      const hasSelectors = !o.labelSelector.empty || !o.fieldSelector.empty;
      const filter = hasSelectors
        ? (s: StoredObject) =>
            (o.labelSelector.empty || o.labelSelector.matches(s.object.metadata?.labels ?? {})) &&
            (o.fieldSelector.empty || o.fieldSelector.matches(objectFields(res.resource, s.object)))
        : undefined;
      const opts: Parameters<EtcdStore['getList']>[0] = { hasSelectors };
      if (ns) opts.namespace = ns;
      if (o.name !== undefined) opts.name = o.name;
      if (filter) opts.filter = filter;
      const limit = o.limit > 0 && o.resourceVersion !== '0' ? o.limit : 0;
      if (limit) opts.limit = limit;
      const rv = parseRV(o.resourceVersion);
      if (o.continue && o.name === undefined) {
        const t = continueKeyFromToken(o.continue, collection, ns);
        opts.continueKey = t.continueKey;
        opts.continueRevision = t.rv;
      } else if (o.resourceVersionMatch === 'Exact' || (o.resourceVersionMatch === '' && limit > 0 && rv > 0)) {
        opts.revision = rv;
      } else if (rv > 0) {
        opts.minRevision = rv;
      }
      let r;
      try {
        r = await store.getList(opts);
      } catch (e) {
        if (e instanceof ContinueExpiredError) {
          // Upstream offers a token at revision -1 (continue at latest, inconsistent) in the Status.
          const fresh = prepareContinueToken(collection + e.continueKey, scopePrefix(collection, ns), -1);
          (e as ContinueExpiredError & { continueToken?: string }).continueToken = fresh;
        }
        throw e;
      }
      const out: DelegateListResult = { items: r.items, resourceVersion: r.resourceVersion };
      if (r.continueKey !== undefined) out.continue = prepareContinueToken(collection + r.continueKey, scopePrefix(collection, ns), r.resourceVersion);
      if (r.remainingItemCount !== undefined) out.remainingItemCount = r.remainingItemCount;
      return out;
    },

    async get(namespace, name, { resourceVersion }) {
      const min = parseRV(resourceVersion);
      const r = await store.get(name, res.namespaced ? namespace : undefined);
      // etcd3 Get with a resourceVersion: read at latest, 504 if latest is still below it.
      if (min > 0 && r.resourceVersion < min) throw newTooLargeResourceVersion(min, r.resourceVersion, 0);
      if (!r.object) throw newNotFound(res.group, res.resource, name);
      return r.object;
    },

    create: (namespace, name, obj) => store.create(res.namespaced ? namespace : undefined, name, obj),
    update: (namespace, name, obj, expected) => store.update(res.namespaced ? namespace : undefined, name, obj, expected),
    delete: (namespace, name, pre, expected) => store.delete(res.namespaced ? namespace : undefined, name, pre, expected),
    currentRevision: () => store.currentRevision(),
  };
}
