// A watch event's bytes, encoded once and written to every socket that carries it, as upstream's
// cachingObject caches an event's serialization for all its watchers. The same event object is
// shared by every watcher that sees it (cache_watcher.ts), so the cache is keyed by it.
//
// Each event is encoded once as its line already framed as one HTTP/1.1 chunk, and a chunked watch
// response writes those bytes straight to its socket, a burst of events as one writev: through
// ServerResponse.write each line would become three corked writes (size, data, CRLF) gathered by
// a per-tick writev, about a fifth of the write path's CPU in a profile of a 100-watcher fan-out,
// on top of TLS and the syscall themselves.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { WatchEvent } from '../../cacher/types.js';

export interface EventFrame {
  /** The line as one HTTP/1.1 chunk: hex length, CRLF, the line, CRLF. */
  chunk: Buffer;
  /** `{"type":…,"object":…}\n`: a view into `chunk`. */
  line: Buffer;
}

/** `json` plus a newline, framed as one chunk in a single buffer (the line is a view into it). */
export function frameOf(json: string): EventFrame {
  const n = Buffer.byteLength(json) + 1;
  const size = n.toString(16);
  const chunk = Buffer.allocUnsafe(size.length + 2 + n + 2);
  let o = chunk.write(size, 0, 'latin1');
  o += chunk.write('\r\n', o, 'latin1');
  const start = o;
  o += chunk.write(json, o, 'utf8');
  chunk[o++] = 0x0a;
  chunk[o++] = 0x0d;
  chunk[o] = 0x0a;
  return { chunk, line: chunk.subarray(start, start + n) };
}

export function encodeFrame(ev: { type: string; object: unknown }): EventFrame {
  return frameOf(JSON.stringify({ type: ev.type, object: ev.object }));
}

// Bounded by bytes: the history window keeps events alive far longer than their fan-out lasts,
// and their bytes must not live as long. A live event's frame is read within one dispatch burst;
// a replayed object's by every watcher starting at about the same time (a rollout's informers),
// so the budget holds a namespace's worth of objects, oldest dropped first.
const FRAME_CACHE_BYTES = 16 * 1024 * 1024;
const frames = new Map<WatchEvent, EventFrame>();
let frameBytes = 0;

/** The event's frame, encoded on its first watcher and shared by the rest. */
export function eventFrame(ev: WatchEvent): EventFrame {
  let f = frames.get(ev);
  if (f === undefined) {
    f = encodeFrame(ev);
    frames.set(ev, f);
    frameBytes += f.chunk.length;
    while (frameBytes > FRAME_CACHE_BYTES && frames.size > 1) {
      const [k, old] = frames.entries().next().value!;
      frames.delete(k);
      frameBytes -= old.chunk.length;
    }
  }
  return f;
}

/**
 * Where a watch response's event bytes go. `write` takes a burst of events (their frames, in
 * order) as one socket write; it returns false when the socket's buffer is full and the caller
 * should wait for `drained` before writing more.
 */
export interface FrameSink {
  write(frames: EventFrame[]): boolean;
  drained(): Promise<void>;
}

/**
 * Writes framed bytes to the response's socket directly once the headers are on it: only for a
 * GET whose response owns its socket (not a pipelined one still queued behind another response).
 * Otherwise, or for an HTTP/1.0 client (no chunks: the body ends when the connection does), the
 * response's own write. The response's end() still writes the last chunk after these bytes.
 */
export function frameSink(res: ServerResponse, method: string | undefined): FrameSink {
  const socket: Socket | null = res.socket;
  const direct = method === 'GET' && res.headersSent && res.chunkedEncoding && socket !== null && !socket.destroyed;
  if (!direct) {
    return {
      write(fs) {
        let room = true;
        for (const f of fs) room = res.write(f.line);
        return room;
      },
      drained: drainWaiter(res, res),
    };
  }
  return {
    write(fs) {
      if (socket.destroyed) return false;
      if (fs.length === 1) return socket.write(fs[0]!.chunk);
      // Corked, the shared buffers go out as one writev without a copy per socket, which a
      // socket its client reads slowly would hold on to.
      socket.cork();
      let room = true;
      for (const f of fs) room = socket.write(f.chunk);
      socket.uncork();
      return room;
    },
    drained: drainWaiter(socket, res),
  };
}

/**
 * A watch waits for 'drain' after most bursts once its client lags (a burst above the socket's
 * 16 KB high-water mark already counts as full), so the listeners are added once, on the first
 * wait, and removed when the response closes, rather than added and removed with fresh closures
 * around every wait. Resolves on 'drain' or once the response has closed.
 */
function drainWaiter(emitter: Socket | ServerResponse, res: ServerResponse): () => Promise<void> {
  let waiting: (() => void) | undefined;
  let listening = false;
  let closed = false;
  const wake = () => {
    const w = waiting;
    waiting = undefined;
    w?.();
  };
  const onClose = () => {
    closed = true;
    emitter.off('drain', wake);
    wake();
  };
  return () => {
    if (closed || res.closed) return Promise.resolve();
    if (!listening) {
      listening = true;
      emitter.on('drain', wake);
      res.once('close', onClose);
    }
    return new Promise<void>((r) => (waiting = r));
  };
}
