// WATCH: a chunked stream of {"type","object"} lines. Events are pulled from the cacheWatcher
// (or the storage watch) only when the socket can take more, so a slow client fills its
// cacheWatcher's buffers exactly as upstream's HTTP writer does. Errors after the stream started
// (410 too old, watch-list 500, 504) are one ERROR event with a Status, then the end; the cacher
// closing a watcher (bufferFull, cacheReinitializing) just ends the stream, as upstream.
import type { ResourceRequestContext } from '../context.js';
import { decide } from '../../routing/decide.js';
import type { CacheWatchOptions, WatchEvent } from '../../cacher/types.js';
import type { CloseReason } from '../../../../shared/model.js';
import { isStatusError, type Status } from '../../errors.js';
import { parseResourceVersion } from '../../routing/validation.js';
import { queryFlag } from '../../routing/options.js';
import { areInitialEventsRequired } from '../../initial-events.js';
import { toStatusError, writeChunk, writeStatus } from '../respond.js';
import { parseIncludeObject, toTable, wantsTable } from '../table.js';
import { StorageWatch } from '../storage-watch.js';
import { cacherOf, routingRequest, selectorsOrReject, sendError, sendRejected, waitReadyOr503 } from './common.js';
import type { KubeObject } from '../../object.js';
import { refusedPathKey } from './names.js';
import { setLongTimeout } from '../../../util/long-timeout.js';
import { encodeFrame, eventFrame, frameSink, type EventFrame } from './watch_frames.js';

/** --min-request-timeout default: a watch without timeoutSeconds lasts 1800s × [1,2). */
export const minRequestTimeoutSeconds = 1800;

interface Pullable {
  next(): Promise<WatchEvent | null>;
  tryNext?(): WatchEvent | null | undefined;
  /** With tryNext: resolves when tryNext has an event or the end to give. */
  ready?(): Promise<void>;
  stop(reason: CloseReason, message?: string): void;
}

/** How a watch that was answered with one ERROR event ended, named as a watcher's close reason. */
function errorEndReason(code: number): CloseReason {
  return code === 410 ? 'tooOldResourceVersion' : code === 504 ? 'tooLargeResourceVersion' : 'error';
}

function endWatch(ctx: ResourceRequestContext, reason: CloseReason): void {
  ctx.endRecorded({ watch: { durationMs: Math.round(performance.now() - ctx.started), reason } });
}

/** Bytes taken from a watcher's buffer in one go before waiting for the socket to drain. */
const MAX_BURST_BYTES = 64 * 1024;

/**
 * handleWatch's timeout: time.Duration(timeoutSeconds) * time.Second, an int64 count of
 * nanoseconds that wraps as Go's multiplication does (so 9223372037 s is negative and the watch
 * ends at once, as on a real kube-apiserver); zero or absent takes the min-request-timeout
 * default. The query was already checked to be an int64 by the router.
 */
export function watchTimeoutMs(timeoutSeconds: string | undefined): number {
  const ns = timeoutSeconds && /^[+-]?\d+$/.test(timeoutSeconds) ? BigInt.asIntN(64, BigInt(timeoutSeconds) * 1_000_000_000n) : 0n;
  if (ns === 0n) return minRequestTimeoutSeconds * 1000 * (1 + Math.random());
  return Number(ns) / 1e6;
}

function startStream(ctx: ResourceRequestContext): void {
  // No Transfer-Encoding of our own: Node frames HTTP/1.1 with chunks and an HTTP/1.0 response
  // by closing the connection, as Go's server does; a 1.0 client cannot read chunks.
  ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  ctx.res.flushHeaders();
}

async function sendErrorEvent(ctx: ResourceRequestContext, status: Status): Promise<void> {
  if (!ctx.res.headersSent) startStream(ctx);
  await writeChunk(ctx.res, JSON.stringify({ type: 'ERROR', object: status }) + '\n');
  ctx.res.end();
}

export async function handleWatch(ctx: ResourceRequestContext): Promise<void> {
  const backend = ctx.backend;
  const sel = selectorsOrReject(ctx);
  if (!sel || refusedPathKey(ctx)) return;
  const d = decide(routingRequest(ctx, 'watch', sel.pinnedName === undefined && !ctx.info.name), backend.cacheState(), ctx.profile);
  if (d.error) {
    if (d.errorDelivery === 'watchEvent') {
      ctx.record({ servedBy: d.servedBy, reason: d.reason, detail: d.detail, status: 200 });
      await sendErrorEvent(ctx, d.error.toStatus());
      endWatch(ctx, errorEndReason(d.error.code));
      return;
    }
    return sendRejected(ctx, d);
  }

  const q = d.effectiveQuery;
  const timeoutMs = watchTimeoutMs(ctx.info.query.timeoutSeconds);
  const deadline = Date.now() + timeoutMs;
  const name = sel.pinnedName ?? ctx.info.name;
  const rvText = q.resourceVersion ?? '';
  const parsedRV = parseResourceVersion(rvText);
  let rv = parsedRV.ok ? parsedRV.rv : 0;
  let detail = d.detail;

  let stream: Pullable;
  // Why the watcher closed itself (buffer full, cache reinitializing…), for the Clients view.
  let closeReason: () => CloseReason | undefined = () => undefined;
  try {
    if (d.servedBy === 'cache') {
      // A watch's context lasts its whole timeout, and so does its wait for readiness (ready.wait(ctx)).
      await waitReadyOr503(ctx, d, Math.max(0, deadline - Date.now()));
      let bookmarkAfter: number | undefined;
      if (d.consistentRead && d.endBookmarkAtEtcdRevision) {
        // 1.27–1.29: the state as the cache has it now; only the end bookmark waits for etcd's revision.
        bookmarkAfter = await backend.store.currentRevision();
        rv = 0;
        detail += ` etcd was at revision ${bookmarkAfter}.`;
      } else if (d.consistentRead) {
        rv = await backend.store.currentRevision();
        detail += ` etcd was at revision ${rv}.`;
      } else if (d.minResourceVersion !== undefined) {
        rv = d.minResourceVersion;
      }
      const sieParam = q.sendInitialEvents;
      const opts: CacheWatchOptions = {
        labelSelector: sel.label,
        fieldSelector: sel.field,
        resourceVersion: rv,
        resourceVersionText: rvText,
        sendInitialEvents: sieParam !== undefined && ctx.profile.gates.WatchList ? queryFlag(sieParam) : undefined,
        requestProgress: d.requestProgress,
        allowWatchBookmarks: queryFlag(q.allowWatchBookmarks),
        initialEventsEndBookmarkAfterInterval: ctx.profile.rules.initialEventsEndBookmark === 'afterInitialEvents',
        deadline,
        userAgent: ctx.userAgent,
      };
      if (ctx.info.namespace) opts.namespace = ctx.info.namespace;
      if (name !== undefined) opts.name = name;
      if (bookmarkAfter !== undefined) opts.bookmarkAfterResourceVersion = bookmarkAfter;
      const w = cacherOf(ctx).watch(opts);
      stream = w;
      closeReason = () => w.info().closeReason;
    } else {
      const sw = new StorageWatch({
        res: ctx.resource,
        source: backend.source,
        collectionKey: backend.collectionKey,
        ...(ctx.info.namespace ? { namespace: ctx.info.namespace } : {}),
        ...(name !== undefined ? { name } : {}),
        labelSelector: sel.label,
        fieldSelector: sel.field,
        resourceVersion: rv,
        resourceVersionText: rvText,
        initialEvents: areInitialEventsRequired(rv, q.sendInitialEvents !== undefined ? queryFlag(q.sendInitialEvents) : undefined),
        initialEventsEndBookmark: queryFlag(q.sendInitialEvents) && queryFlag(q.allowWatchBookmarks),
        allowWatchBookmarks: queryFlag(q.allowWatchBookmarks),
        userAgent: ctx.userAgent,
        registry: ctx.storageWatchers,
      });
      stream = sw;
      closeReason = () => sw.info.closeReason;
      await sw.start();
    }
  } catch (e) {
    // Too old / too large resource versions arrive inside a 200 stream (errWatcher upstream).
    if (isStatusError(e) && (e.code === 410 || e.code === 504 || (e.code === 500 && d.errorDelivery === 'watchEvent'))) {
      ctx.record({ servedBy: d.servedBy, reason: d.reason, detail: `${detail} Ended with ERROR ${e.code}: ${e.message}`, status: 200 });
      await sendErrorEvent(ctx, e.toStatus());
      endWatch(ctx, errorEndReason(e.code));
      return;
    }
    sendError(ctx, e, { servedBy: d.servedBy, reason: d.reason, detail });
    return;
  }

  ctx.record({ servedBy: d.servedBy, reason: d.reason, detail, status: 200, resourceVersion: String(rv) });
  await pump(ctx, stream, deadline, closeReason);
}

async function pump(ctx: ResourceRequestContext, stream: Pullable, deadline: number, closeReason: () => CloseReason | undefined): Promise<void> {
  const { res } = ctx;
  let closedBy: CloseReason | undefined;
  const onClose = () => {
    if (!closedBy) closedBy = 'clientGone';
    stream.stop('clientGone');
  };
  res.on('close', onClose);
  const timer = setLongTimeout(() => {
    closedBy = 'timeout';
    stream.stop('timeout', 'watch request timeout reached');
  }, deadline - Date.now());
  const table = wantsTable(ctx.req.headers.accept);
  const include = parseIncludeObject(ctx.info.query.includeObject);
  let firstTable = true;
  try {
    startStream(ctx);
    const sink = frameSink(res, ctx.req.method);
    const frame = (ev: WatchEvent): EventFrame => {
      if (!table || ev.type === 'ERROR') return eventFrame(ev);
      const o = ev.object as KubeObject;
      const rv = o.metadata?.resourceVersion ?? '';
      const object = ev.type === 'BOOKMARK' ? toTable(ctx.resource, [], { resourceVersion: rv }, include, false) : toTable(ctx.resource, [o], { resourceVersion: rv }, include, firstTable);
      firstTable = false;
      return encodeFrame({ type: ev.type, object });
    };
    for (;;) {
      let ev = stream.tryNext?.();
      if (stream.ready) while (ev === undefined) ev = (await stream.ready(), stream.tryNext!());
      else if (ev === undefined) ev = await stream.next();
      if (ev === null || res.destroyed) break;
      // Whatever else is already buffered goes out with it as one write: one TLS record and one
      // syscall per socket per dispatch turn rather than per event.
      let last = ev.type === 'ERROR';
      const burst = [frame(ev)];
      let bytes = burst[0]!.line.length;
      while (!last && bytes < MAX_BURST_BYTES) {
        const more = stream.tryNext?.();
        if (more === undefined) break;
        if (more === null) {
          last = true;
          break;
        }
        const f = frame(more);
        bytes += f.line.length;
        burst.push(f);
        if (more.type === 'ERROR') last = true;
      }
      if (!sink.write(burst)) await sink.drained();
      if (res.destroyed || last) break;
    }
  } catch (e) {
    if (!res.headersSent) writeStatus(res, toStatusError(e));
  } finally {
    timer.clear();
    res.off('close', onClose);
    const reason = closedBy ?? closeReason() ?? 'stopped';
    stream.stop(reason);
    if (!res.writableEnded) res.end();
    endWatch(ctx, reason);
  }
}
