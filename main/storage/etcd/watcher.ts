// One raw etcd Watch stream per watch (upstream's SeparateCacheWatchRPC: a progress request is
// answered per stream and only once every watcher on it is synced, so a shared stream lets one
// slow watcher starve another's progress notifications — etcd#20242).
//
// Resumption is from the last *delivered* event's revision + 1. etcd guarantees a watch
// restarted after the last received revision continues exactly (api_guarantees.md "Resumable");
// resuming from a response header's revision instead (what the `etcd3` npm package does) skips
// whatever part of a history replay had not been delivered yet. Progress notifications do not
// move the resume point: on etcd < 3.4.25 / 3.5.8 a requested progress reply may overtake
// pending events (etcd#15220), so its revision does not prove delivery.
import * as grpc from '@grpc/grpc-js';
import type { SourceEvent, SourceWatch, SourceWatchEnd, SourceWatchHandlers } from '../source.js';
import type { StoredObject } from '../object.js';
import { decodeValue } from './codec.js';
import { prefixRangeEnd } from './keys.js';
import { errorText, isCompactedError, type EtcdClient, type WatchEventPB, type WatchResponse } from './client.js';

export interface EtcdWatchOptions {
  /** First reconnect delay; doubles per failed attempt up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

// gRPC codes that will not heal by retrying the same request.
const FATAL_CODES = new Set<number>([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.PERMISSION_DENIED,
  grpc.status.UNAUTHENTICATED,
  grpc.status.UNIMPLEMENTED,
  grpc.status.FAILED_PRECONDITION,
]);

export function toSourceEvent(e: WatchEventPB, collectionKey: string): SourceEvent {
  const key = e.kv.key.toString('utf8');
  const rev = Number(e.kv.mod_revision);
  const prev: StoredObject | undefined = e.prev_kv
    ? decodeValue(key, e.prev_kv.value, Number(e.prev_kv.mod_revision), collectionKey)
    : undefined;
  if (e.type === 'DELETE') {
    // The deleted object as it was, stamped with the delete's revision, as etcd3/watcher.go
    // hands DELETED events to the cacher.
    const object = e.prev_kv
      ? decodeValue(key, e.prev_kv.value, rev, collectionKey)
      : decodeValue(key, Buffer.alloc(0), rev, collectionKey);
    return { type: 'DELETED', key, object, prevObject: prev, resourceVersion: rev };
  }
  const object = decodeValue(key, e.kv.value, rev, collectionKey);
  const created = Number(e.kv.create_revision) === rev || !e.prev_kv;
  return { type: created ? 'ADDED' : 'MODIFIED', key, object, prevObject: prev, resourceVersion: rev };
}

export class EtcdWatch implements SourceWatch {
  private call: grpc.ClientDuplexStream<import('./client.js').WatchRequest, WatchResponse> | undefined;
  private ended = false;
  private nextRevision: number;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private reconnecting = false;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly key: Buffer;
  private readonly rangeEnd: Buffer;

  constructor(
    private readonly client: EtcdClient,
    private readonly prefix: string,
    afterRevision: number,
    private readonly handlers: SourceWatchHandlers,
    opts: EtcdWatchOptions = {},
    private readonly onClosed?: (w: EtcdWatch) => void,
  ) {
    this.nextRevision = afterRevision + 1;
    this.initialBackoffMs = opts.initialBackoffMs ?? 100;
    this.maxBackoffMs = opts.maxBackoffMs ?? 5000;
    this.key = Buffer.from(prefix);
    this.rangeEnd = prefixRangeEnd(this.key);
    this.open();
  }

  /** The revision the stream will (re)start from. */
  get resumeRevision(): number {
    return this.nextRevision;
  }

  requestProgress(): void {
    if (this.ended || !this.call) return;
    this.call.write({ progress_request: {} });
  }

  stop(): void {
    this.end({ reason: 'stopped', message: 'watch stopped' });
  }

  private open(): void {
    const call = this.client.openWatch();
    this.call = call;
    call.on('data', (resp: WatchResponse) => {
      if (this.call === call) this.onResponse(resp);
    });
    call.on('error', (err: grpc.ServiceError) => {
      if (this.call === call) this.onStreamFailure(err);
    });
    call.on('end', () => {
      if (this.call === call) this.onStreamFailure(new Error('etcd closed the watch stream'));
    });
    call.write({
      create_request: {
        key: this.key,
        range_end: this.rangeEnd,
        start_revision: this.nextRevision,
        prev_kv: true,
        progress_notify: true,
      },
    });
  }

  private onResponse(resp: WatchResponse): void {
    if (this.ended) return;
    if (resp.created && this.reconnecting) {
      this.reconnecting = false;
      this.attempt = 0;
      this.handlers.onReconnected?.();
    } else if (resp.created) {
      this.attempt = 0;
    }
    if (Number(resp.compact_revision) > 0) {
      const compactRevision = Number(resp.compact_revision);
      this.end({
        reason: 'compacted',
        compactRevision,
        message: `etcd cancelled the watch: required revision ${this.nextRevision} has been compacted (compact revision ${compactRevision})`,
      });
      return;
    }
    if (resp.canceled) {
      const why = resp.cancel_reason || 'etcd cancelled the watch';
      if (/compacted/.test(why)) this.end({ reason: 'compacted', message: why });
      else if (/no leader/i.test(why)) this.onStreamFailure(new Error(why));
      else this.end({ reason: 'error', message: why });
      return;
    }
    if (resp.events.length > 0) {
      let events: SourceEvent[];
      try {
        events = resp.events.map((e) => toSourceEvent(e, this.prefix));
      } catch (e) {
        this.end({ reason: 'error', message: `cannot convert watch events: ${errorText(e)}` });
        return;
      }
      this.nextRevision = events[events.length - 1]!.resourceVersion + 1;
      this.deliver(() => this.handlers.onEvents(events));
      return;
    }
    // A response without events that is not the creation reply is a progress notification
    // (periodic, or the answer to requestProgress) — etcd3/watcher.go turns it into a bookmark.
    if (!resp.created) this.deliver(() => this.handlers.onProgress(Number(resp.header.revision)));
  }

  private deliver(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.end({ reason: 'error', message: `watch handler failed: ${errorText(e)}` });
    }
  }

  private onStreamFailure(err: Error): void {
    if (this.ended) return;
    const old = this.call;
    this.call = undefined;
    try {
      old?.cancel();
    } catch {
      // already closed
    }
    if (isCompactedError(err)) {
      this.end({ reason: 'compacted', message: errorText(err).trim() });
      return;
    }
    const code = (err as grpc.ServiceError).code;
    if (code !== undefined && FATAL_CODES.has(code)) {
      this.end({ reason: 'error', message: errorText(err).trim() });
      return;
    }
    this.attempt++;
    const retryInMs = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (this.attempt - 1));
    this.reconnecting = true;
    this.handlers.onReconnecting?.({ attempt: this.attempt, error: errorText(err).trim(), retryInMs });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.ended) this.open();
    }, retryInMs);
  }

  private end(end: SourceWatchEnd): void {
    if (this.ended) return;
    this.ended = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const call = this.call;
    this.call = undefined;
    try {
      call?.end();
      call?.cancel();
    } catch {
      // already closed
    }
    this.onClosed?.(this);
    this.handlers.onEnd(end);
  }
}
