// EtcdStore: the delegated path — reads the router sends to etcd instead of the watch cache, and
// all writes — following k8s.io/apiserver storage/etcd3/store.go (GetList, Get, Create,
// GuaranteedUpdate, Delete) and its error mapping to Status.
import type { KubeObject, StoredObject } from '../object.js';
import {
  StatusError,
  newAlreadyExists,
  newConflict,
  newGone,
  newInternalError,
  newNotFound,
  newTooLargeResourceVersion,
} from '../errors.js';
import { decodeValue, encodeJSON } from './codec.js';
import { prefixRangeEnd } from './keys.js';
import { isCompactedError, isFutureRevisionError, errorText, type KeyValue, type RangeResponse, type TxnResponse } from './client.js';
import type { EtcdSource } from './source.js';

/** store.go maxLimit: the largest page GetList asks etcd for while filling a filtered page. */
export const MAX_LIST_LIMIT = 10_000;

export const LIST_TOO_OLD_MESSAGE = 'The resourceVersion for the provided list is too old.';
// storage/etcd3 interpretListError for a continue token whose revision was compacted.
export const CONTINUE_TOO_OLD_MESSAGE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';
export const CONFLICT_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

/**
 * 410 for a continue token whose revision was compacted. Upstream answers with a fresh token at
 * revision -1 ("continue at latest, inconsistent") starting at the same key: the endpoint builds
 * it from `continueKey` and `continueRevision`.
 */
export class ContinueExpiredError extends StatusError {
  readonly continueRevision = -1;
  constructor(readonly continueKey: string) {
    super(410, 'Expired', CONTINUE_TOO_OLD_MESSAGE);
    this.name = 'ContinueExpiredError';
  }
}

export interface EtcdStoreResource {
  group: string;
  resource: string;
  /** e.g. /registry/pods/ (ends with '/'). */
  collectionKey: string;
}

export interface GetListOptions {
  namespace?: string;
  /** A single key (non-recursive read, e.g. fieldSelector metadata.name=x). */
  name?: string;
  /** Exact: read at this revision. */
  revision?: number;
  /** NotOlderThan: read at latest, 504 if latest is below this. */
  minRevision?: number;
  limit?: number;
  /** Key suffix relative to collectionKey; the list starts strictly after it. */
  continueKey?: string;
  /** The revision from a continue token: > 0 exact, -1 latest. */
  continueRevision?: number;
  filter?: (o: StoredObject) => boolean;
  /** Whether label/field selectors are set (remainingItemCount is only given without them). */
  hasSelectors?: boolean;
}

export interface GetListResult {
  items: StoredObject[];
  resourceVersion: number;
  /** When more items remain: the key suffix (relative to collectionKey) of the last item. */
  continueKey?: string;
  remainingItemCount?: number;
}

export interface DeletePreconditions {
  resourceVersion?: string;
  uid?: string;
}

const NUL = Buffer.from([0]);

export class EtcdStore {
  private readonly collection: string;

  constructor(
    private readonly source: EtcdSource,
    readonly resource: EtcdStoreResource,
  ) {
    this.collection = resource.collectionKey.endsWith('/') ? resource.collectionKey : `${resource.collectionKey}/`;
  }

  private get client() {
    return this.source.client;
  }

  keyOf(namespace: string | undefined, name: string): string {
    return namespace ? `${this.collection}${namespace}/${name}` : `${this.collection}${name}`;
  }

  private decode(kv: KeyValue, rev = Number(kv.mod_revision)): StoredObject {
    return decodeValue(kv.key.toString('utf8'), kv.value, rev, this.collection);
  }

  async getList(opts: GetListOptions = {}): Promise<GetListResult> {
    const isContinue = opts.continueKey !== undefined && opts.continueKey !== '';
    // ValidateListOptions: a continue token's revision wins; -1 reads at latest.
    let withRev = 0;
    if (isContinue && opts.continueRevision !== undefined) withRev = opts.continueRevision > 0 ? opts.continueRevision : 0;
    else if (opts.revision && opts.revision > 0) withRev = opts.revision;

    const scope = opts.namespace ? `${this.collection}${opts.namespace}/` : this.collection;
    const single = opts.name !== undefined;
    const rangeEnd = single ? undefined : prefixRangeEnd(Buffer.from(scope));
    let key: Buffer = single ? Buffer.from(`${scope}${opts.name}`) : Buffer.from(scope);
    if (isContinue && !single) {
      const after = Buffer.concat([Buffer.from(this.collection + opts.continueKey), NUL]);
      if (Buffer.compare(after, key) > 0) key = after;
    }

    const limitWanted = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const paging = limitWanted > 0 && !single;
    let pageLimit = paging ? limitWanted : 0;
    const items: StoredObject[] = [];
    let lastKey: Buffer | undefined;
    let hasMore = false;
    let count = 0;

    for (;;) {
      let resp: RangeResponse;
      try {
        resp = await this.client.range({ key, range_end: rangeEnd, limit: pageLimit, revision: withRev });
      } catch (e) {
        throw await this.listError(e, withRev, isContinue, opts.continueKey ?? '');
      }
      const headerRev = Number(resp.header.revision);
      if (opts.minRevision && opts.minRevision > headerRev && !withRev) {
        throw newTooLargeResourceVersion(opts.minRevision, headerRev, 0);
      }
      count = Number(resp.count);
      hasMore = resp.kvs.length < count;
      if (resp.kvs.length === 0 && hasMore) {
        throw newInternalError('no results were found, but etcd indicated there were more values remaining');
      }
      // Later pages read at the first page's revision, so the whole list is one snapshot.
      if (withRev === 0) withRev = headerRev;
      for (const kv of resp.kvs) {
        if (paging && items.length >= limitWanted) {
          hasMore = true;
          break;
        }
        lastKey = kv.key;
        const obj = this.decode(kv);
        if (!opts.filter || opts.filter(obj)) items.push(obj);
      }
      if (!hasMore || !paging) break;
      if (items.length >= limitWanted) break;
      // Selectors dropped items: ask for more per round, doubling up to maxLimit (store.go).
      if (pageLimit < MAX_LIST_LIMIT) pageLimit = Math.min(pageLimit * 2, MAX_LIST_LIMIT);
      key = Buffer.concat([lastKey!, NUL]);
    }

    const result: GetListResult = { items, resourceVersion: withRev };
    if (hasMore && paging && lastKey) {
      result.continueKey = lastKey.toString('utf8').slice(this.collection.length);
      // storage.PrepareContinueToken: count covers unfiltered keys, so only exact without selectors.
      if (!opts.hasSelectors) result.remainingItemCount = Math.max(0, count - limitWanted);
    }
    return result;
  }

  private async listError(e: unknown, withRev: number, isContinue: boolean, continueKey: string): Promise<Error> {
    if (isCompactedError(e)) return isContinue ? new ContinueExpiredError(continueKey) : newGone(LIST_TOO_OLD_MESSAGE);
    if (isFutureRevisionError(e)) {
      const current = await this.currentRevision().catch(() => 0);
      return newTooLargeResourceVersion(withRev, current, 0);
    }
    return newInternalError(errorText(e).trim());
  }

  /** One object, at latest or at `revision`; `resourceVersion` is the revision read at. */
  async get(name: string, namespace?: string, revision?: number): Promise<{ object: StoredObject | undefined; resourceVersion: number }> {
    let resp: RangeResponse;
    try {
      resp = await this.client.range({ key: Buffer.from(this.keyOf(namespace, name)), revision: revision ?? 0 });
    } catch (e) {
      if (isCompactedError(e)) throw newGone(LIST_TOO_OLD_MESSAGE);
      if (isFutureRevisionError(e)) throw newTooLargeResourceVersion(revision ?? 0, await this.currentRevision().catch(() => 0), 0);
      throw newInternalError(errorText(e).trim());
    }
    const kv = resp.kvs[0];
    return { object: kv ? this.decode(kv) : undefined, resourceVersion: Number(resp.header.revision) };
  }

  /** Create: a txn that only puts when the key has never been written (mod_revision == 0). */
  async create(namespace: string | undefined, name: string, object: KubeObject): Promise<StoredObject> {
    const key = Buffer.from(this.keyOf(namespace, name));
    const value = encodeJSON(object);
    const resp = await this.txn({
      compare: [{ target: 'MOD', result: 'EQUAL', key, mod_revision: 0 }],
      success: [{ request_put: { key, value } }],
      failure: [],
    });
    if (!resp.succeeded) throw newAlreadyExists(this.resource.group, this.resource.resource, name);
    return decodeValue(key.toString('utf8'), value, Number(resp.header.revision), this.collection);
  }

  /**
   * Update (GuaranteedUpdate with the object's resourceVersion as precondition): the put only
   * happens if the key's mod_revision still equals `expectedResourceVersion`; without one, only if
   * the key exists (unconditional update).
   */
  async update(namespace: string | undefined, name: string, object: KubeObject, expectedResourceVersion?: number | string): Promise<StoredObject> {
    const key = Buffer.from(this.keyOf(namespace, name));
    const value = encodeJSON(object);
    const expected = expectedResourceVersion === undefined || expectedResourceVersion === '' ? undefined : Number(expectedResourceVersion);
    const resp = await this.txn({
      compare: [
        expected !== undefined
          ? { target: 'MOD', result: 'EQUAL', key, mod_revision: expected }
          : { target: 'MOD', result: 'GREATER', key, mod_revision: 0 },
      ],
      success: [{ request_put: { key, value } }],
      failure: [{ request_range: { key } }],
    });
    if (!resp.succeeded) {
      const current = resp.responses[0]?.response_range?.kvs?.[0];
      if (!current) throw newNotFound(this.resource.group, this.resource.resource, name);
      throw newConflict(this.resource.group, this.resource.resource, name, CONFLICT_MESSAGE);
    }
    return decodeValue(key.toString('utf8'), value, Number(resp.header.revision), this.collection);
  }

  /**
   * Delete with optional preconditions (store.go conditionalDelete): read, check, then delete only
   * if the key did not change in between; retry when it did. With `expectedResourceVersion` (the
   * mod revision of a copy the caller already holds, e.g. the watch cache's) there is no read and
   * no retry: the delete happens only if the key is still at that revision, Conflict otherwise,
   * and the caller decides whether to re-read.
   */
  async delete(namespace: string | undefined, name: string, preconditions?: DeletePreconditions, expectedResourceVersion?: number): Promise<StoredObject> {
    const key = Buffer.from(this.keyOf(namespace, name));
    for (let attempt = 0; ; attempt++) {
      let current: StoredObject | undefined;
      let expected = expectedResourceVersion;
      if (expected === undefined) {
        current = (await this.get(name, namespace)).object;
        if (!current) throw newNotFound(this.resource.group, this.resource.resource, name);
        // storage.Preconditions.Check: surfaced to clients as 409 Conflict.
        if (preconditions?.uid && preconditions.uid !== current.object.metadata.uid) {
          throw newConflict(this.resource.group, this.resource.resource, name,
            `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.object.metadata.uid ?? ''}`);
        }
        if (preconditions?.resourceVersion && preconditions.resourceVersion !== String(current.resourceVersion)) {
          throw newConflict(this.resource.group, this.resource.resource, name,
            `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${current.resourceVersion}`);
        }
        expected = current.resourceVersion;
      }
      const resp = await this.txn({
        compare: [{ target: 'MOD', result: 'EQUAL', key, mod_revision: expected }],
        success: [{ request_delete_range: { key, prev_kv: true } }],
        failure: [{ request_range: { key } }],
      });
      if (resp.succeeded) {
        const prev = resp.responses[0]?.response_delete_range?.prev_kvs?.[0];
        if (prev) return this.decode(prev, Number(resp.header.revision));
        if (current) return { ...current, resourceVersion: Number(resp.header.revision) };
        throw newNotFound(this.resource.group, this.resource.resource, name);
      }
      if (!resp.responses[0]?.response_range?.kvs?.[0]) throw newNotFound(this.resource.group, this.resource.resource, name);
      if (expectedResourceVersion !== undefined || attempt >= 10) throw newConflict(this.resource.group, this.resource.resource, name, CONFLICT_MESSAGE);
    }
  }

  async currentRevision(): Promise<number> {
    return this.source.currentRevision(this.collection);
  }

  /** Physical compaction up to `revision` (what kube-apiserver's compactor does every 5 minutes). */
  async compact(revision: number): Promise<void> {
    try {
      await this.client.compact(revision, true);
    } catch (e) {
      // Compacting to an already compacted revision is not an error for the caller.
      if (isCompactedError(e)) return;
      throw newInternalError(errorText(e).trim());
    }
  }

  private async txn(req: Parameters<EtcdSource['client']['txn']>[0]): Promise<TxnResponse> {
    try {
      return await this.client.txn(req);
    } catch (e) {
      throw newInternalError(errorText(e).trim());
    }
  }
}
