// A watch served straight from etcd (upstream's etcd3 watcher, no watch cache in between): for
// resources whose cache is off (events) and for RV="" watches the profile sends to storage.
// It presents the same pull interface as a cacheWatcher so one writer loop serves both.
//
// Upstream's etcd3 watcher blocks its gRPC stream when its buffers (100 in, 100 out) are full;
// a shared Source cannot be blocked per watcher here, so a client that lets more than that pile
// up is closed instead (the stream ends and the client re-lists). Documented deviation.
import type { KubeObject, StoredObject } from '../object.js';
import type { Source, SourceEvent, SourceWatch } from '../source.js';
import type { WatchEvent, WatchRequestOptions } from '../cacher/types.js';
import type { CloseReason, WatcherInfo } from '../../../shared/model.js';
import { StatusError, newInternalError, type Status } from '../errors.js';
import { objectFields } from '../selectors/object_fields.js';
import { initialEventsAnnotationKey } from '../initial-events.js';
import { BoundedQueue } from '../../util/queue.js';
import type { ResourceInfo } from '../resources.js';
import { groupVersion } from '../resources.js';
import type { StorageWatcherRegistry } from './storage-watchers.js';

export const storageWatchBufferSize = 200;

export interface StorageWatchOptions extends WatchRequestOptions {
  res: ResourceInfo;
  source: Source;
  collectionKey: string;
  /** List the current state first (areInitialEventsRequired), then watch from its revision. */
  initialEvents: boolean;
  initialEventsEndBookmark: boolean;
  registry: StorageWatcherRegistry;
}

export class StorageWatch {
  /** One slot beyond the bound for the ERROR event that ends a failed watch. */
  private readonly queue = new BoundedQueue<WatchEvent>(storageWatchBufferSize + 1);
  /**
   * The initial state still to send, ahead of the queue. It is read from the list as the client
   * takes it rather than queued, so a state of any size reaches the client (upstream's etcd3
   * watcher blocks on the client here; it never drops a watch for the size of the state).
   */
  private initial?: { items: (StoredObject | undefined)[]; next: number; endBookmark?: WatchEvent };
  private waiter?: () => void;
  private ended = false;
  private watch?: SourceWatch;
  readonly info: WatcherInfo;
  private readonly prefix: string;

  constructor(private readonly o: StorageWatchOptions) {
    this.prefix = o.collectionKey + (o.res.namespaced && o.namespace ? `${o.namespace}/` : '');
    this.info = o.registry.add({
      resource: o.res.group ? `${o.res.resource}.${o.res.group}` : o.res.resource,
      namespace: o.namespace,
      name: o.name,
      labelSelector: o.labelSelector.text,
      fieldSelector: o.fieldSelector.text,
      startResourceVersion: o.resourceVersionText,
      userAgent: o.userAgent,
      lastResourceVersion: o.resourceVersion,
    });
  }

  get id(): number {
    return this.info.id;
  }

  /** Lists (when initial events are due) and starts the etcd watch. */
  async start(): Promise<void> {
    let from = this.o.resourceVersion;
    if (this.o.initialEvents) {
      const list = await this.o.source.list(this.prefix);
      from = list.resourceVersion;
      this.initial = { items: list.items, next: 0 };
      if (this.o.initialEventsEndBookmark) this.initial.endBookmark = { type: 'BOOKMARK', object: this.bookmarkObject(from, true) };
    } else if (from === 0) {
      from = await this.o.source.currentRevision(this.prefix);
    }
    this.info.lastResourceVersion = from;
    if (this.ended) return;
    this.watch = this.o.source.watch(this.prefix, from, {
      onEvents: (events) => {
        for (const e of events) this.onEvent(e);
      },
      onProgress: (rev) => {
        this.info.lastResourceVersion = Math.max(this.info.lastResourceVersion, rev);
        if (this.o.allowWatchBookmarks) this.push({ type: 'BOOKMARK', object: this.bookmarkObject(rev, false) }, true);
      },
      onEnd: (end) => {
        if (end.reason === 'compacted') {
          this.fail(new StatusError(410, 'Expired', 'The resourceVersion for the provided watch is too old.').toStatus(), 'tooOldResourceVersion');
        } else if (end.reason === 'error') {
          this.fail(newInternalError(end.message).toStatus(), 'error');
        } else {
          this.finish('stopped', end.message);
        }
      },
    });
  }

  private client(s: StoredObject): KubeObject {
    const o = s.object;
    return {
      ...o,
      apiVersion: o.apiVersion ?? groupVersion(this.o.res),
      kind: o.kind ?? this.o.res.kind,
      metadata: { ...o.metadata, resourceVersion: String(s.resourceVersion) },
    };
  }

  private matches(s: StoredObject | undefined): boolean {
    if (!s) return false;
    const o = s.object;
    if (this.o.name !== undefined && o.metadata?.name !== this.o.name) return false;
    const ls = this.o.labelSelector;
    const fs = this.o.fieldSelector;
    if (!ls.empty && !ls.matches(o.metadata?.labels ?? {})) return false;
    if (!fs.empty && !fs.matches(objectFields(this.o.res.resource, o))) return false;
    return true;
  }

  // Selector transitions become ADDED/DELETED, as the etcd3 watcher's transform does.
  private onEvent(e: SourceEvent): void {
    this.info.lastResourceVersion = e.resourceVersion;
    if (e.type === 'DELETED') {
      // The source stamps a deleted object with the delete's revision.
      if (this.matches(e.object)) this.push({ type: 'DELETED', object: this.client(e.object) });
      return;
    }
    const cur = this.matches(e.object);
    if (e.type === 'ADDED') {
      if (cur) this.push({ type: 'ADDED', object: this.client(e.object) });
      return;
    }
    // Without the previous value, assume it matched (a plain MODIFIED).
    const prev = e.prevObject ? this.matches(e.prevObject) : cur;
    if (cur) this.push({ type: prev ? 'MODIFIED' : 'ADDED', object: this.client(e.object) });
    else if (prev) this.push({ type: 'DELETED', object: this.client(e.object) });
  }

  private bookmarkObject(rv: number, end: boolean): KubeObject {
    const metadata: KubeObject['metadata'] = { name: '', resourceVersion: String(rv) };
    if (end) metadata.annotations = { [initialEventsAnnotationKey]: 'true' };
    delete (metadata as { name?: string }).name;
    return { kind: this.o.res.kind, apiVersion: groupVersion(this.o.res), metadata };
  }

  private push(ev: WatchEvent, bookmark = false): void {
    if (this.ended) return;
    if (this.queue.length >= storageWatchBufferSize) {
      this.finish('bufferFull', `storage watch buffer of ${storageWatchBufferSize} events full: client too slow`);
      return;
    }
    this.queue.push(ev);
    if (bookmark) this.info.bookmarksSent++;
    this.info.resultLen = this.queue.length;
    this.wake();
  }

  private fail(status: Status, reason: CloseReason): void {
    if (this.ended) return;
    this.queue.push({ type: 'ERROR', object: status });
    this.finish(reason, status.message);
  }

  private finish(reason: CloseReason, message?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.watch?.stop();
    this.o.registry.close(this.info, reason, message);
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** The next event of the initial state (then its end bookmark), if any is left. */
  private nextInitial(): WatchEvent | undefined {
    const init = this.initial;
    if (!init) return undefined;
    while (init.next < init.items.length) {
      const s = init.items[init.next];
      init.items[init.next++] = undefined;
      if (this.matches(s)) return { type: 'ADDED', object: this.client(s!) };
    }
    this.initial = undefined;
    if (init.endBookmark) this.info.bookmarksSent++;
    return init.endBookmark;
  }

  async next(): Promise<WatchEvent | null> {
    for (;;) {
      const ev = this.nextInitial() ?? this.queue.shift();
      if (ev) {
        this.info.resultLen = this.queue.length;
        if (ev.type !== 'BOOKMARK' && ev.type !== 'ERROR') this.info.eventsSent++;
        return ev;
      }
      if (this.ended) return null;
      await new Promise<void>((r) => (this.waiter = r));
    }
  }

  stop(reason: CloseReason, message?: string): void {
    this.finish(reason, message);
  }
}
