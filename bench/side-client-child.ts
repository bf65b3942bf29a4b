// Child-process side of bench/side-by-side.ts: many watch clients over HTTPS with a bearer token,
// each on its own TLS connection as separate client-go informers would be. The client is as cheap
// as it can be so that it measures the servers, not itself: a raw TLS socket per watch, a
// hand-written request, and the response read by bench/side-watch-stream.ts (lines scanned as
// bytes, the stamp read without a string, no JSON parse); the same client reads both servers. The
// bench may split the watchers over several of these processes. Fan-out: the latency of each event
// is its arrival time minus the stamp the writer put into the ConfigMap. Initial state: the time
// until every watcher has its N initial events.
import { connect, type TLSSocket } from 'node:tls';
import { wallNow } from './lib.js';
import { isBookmark, readStamp, WatchResponseParser } from './side-watch-stream.js';

export interface SideTarget {
  url: string;
  token: string;
  caPem?: string;
}

export type SideClientRequest =
  | { type: 'fanout'; target: SideTarget; watchers: number; path: string; expect: number; timeoutMs: number }
  | { type: 'initial'; target: SideTarget; watchers: number; path: string; expect: number; timeoutMs: number }
  | { type: 'go' };

export type SideClientMessage =
  | { type: 'watching' }
  /** Every latency measured (ms), unsorted: the bench merges several clients' before taking percentiles. */
  | { type: 'fanout'; latencies: Float64Array; counts: { min: number; max: number }; closedEarly: number; shortOnOpenWatch: number; ms: number }
  | { type: 'initial'; ms: number; counts: { min: number; max: number }; closedEarly: number; shortOnOpenWatch: number }
  | { type: 'error'; message: string };

const send = (m: SideClientMessage) => process.send?.(m);

interface Watch {
  socket: TLSSocket;
  events: number;
  ended: boolean;
}

/**
 * Opens `n` watches; `onEvent` sees every event line (not bookmarks) with its arrival time, and
 * `onChange` runs after each read and when a watch ends.
 */
function openWatches(t: SideTarget, n: number, path: string, onEvent: (line: Buffer, at: number) => void, onChange: () => void): { watches: Watch[]; connected: Promise<void> } {
  const url = new URL(path, t.url);
  const request = Buffer.from(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${t.token}\r\nAccept: application/json\r\nUser-Agent: watchscope-bench\r\nConnection: close\r\n\r\n`, 'latin1');
  const watches: Watch[] = [];
  const connected: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const w = { events: 0, ended: false } as Watch;
    let at = 0;
    const parser = new WatchResponseParser({
      line(line) {
        if (line.length === 0 || isBookmark(line)) return;
        w.events++;
        onEvent(line, at);
      },
    });
    connected.push(
      new Promise((resolve, reject) => {
        const end = (e?: Error) => {
          if (w.ended) return;
          w.ended = true;
          if (parser.status === 0) reject(e ?? new Error(`watch ${path}: connection closed before a response`));
          onChange();
        };
        w.socket = connect({ host: url.hostname, port: Number(url.port), ca: t.caPem, ALPNProtocols: ['http/1.1'] }, () => w.socket.write(request));
        w.socket.on('data', (chunk: Buffer) => {
          at = wallNow();
          const before = parser.status;
          try {
            parser.push(chunk);
          } catch (e) {
            w.socket.destroy();
            reject(e);
            return end(e as Error);
          }
          if (before === 0 && parser.status !== 0) {
            if (parser.status !== 200) {
              reject(new Error(`watch ${path} answered ${parser.status}`));
              w.socket.destroy();
              return end();
            }
            resolve();
          }
          if (parser.ended) {
            w.socket.destroy();
            end();
          } else onChange();
        });
        w.socket.on('end', () => {
          parser.close();
          end();
        });
        w.socket.on('close', () => end());
        w.socket.on('error', (e) => end(e));
      }),
    );
    watches.push(w);
  }
  return { watches, connected: Promise.all(connected).then(() => undefined) };
}

function counts(ws: Watch[]): { min: number; max: number } {
  let min = Infinity;
  let max = 0;
  for (const w of ws) {
    if (w.events < min) min = w.events;
    if (w.events > max) max = w.events;
  }
  return { min: ws.length ? min : 0, max };
}

const closeAll = (ws: Watch[]) => {
  for (const w of ws) w.socket?.destroy();
};

let pendingGo: (() => void) | undefined;

async function fanout(m: Extract<SideClientRequest, { type: 'fanout' }>): Promise<void> {
  const lat = new Float64Array(m.watchers * m.expect);
  let n = 0;
  let check = () => undefined as void;
  const { watches, connected } = openWatches(
    m.target,
    m.watchers,
    m.path,
    (line, at) => {
      const stamp = readStamp(line);
      if (n < lat.length && !Number.isNaN(stamp)) lat[n++] = at - stamp;
    },
    () => check(),
  );
  try {
    await connected;
    const go = new Promise<void>((r) => (pendingGo = r));
    send({ type: 'watching' });
    await go;
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, m.timeoutMs);
      check = () => {
        if (n >= lat.length || watches.every((w) => w.ended || w.events >= m.expect)) {
          clearTimeout(timer);
          resolve();
        }
      };
      check();
    });
    const ms = performance.now() - t0;
    send({ type: 'fanout', latencies: lat.slice(0, n), counts: counts(watches), closedEarly: watches.filter((w) => w.ended && w.events < m.expect).length, shortOnOpenWatch: watches.filter((w) => !w.ended && w.events < m.expect).length, ms });
  } finally {
    closeAll(watches);
  }
}

async function initial(m: Extract<SideClientRequest, { type: 'initial' }>): Promise<void> {
  let check = () => undefined as void;
  const t0 = performance.now();
  const { watches, connected } = openWatches(m.target, m.watchers, m.path, () => undefined, () => check());
  try {
    await Promise.all([
      connected,
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, m.timeoutMs);
        check = () => {
          if (watches.every((w) => w.ended || w.events >= m.expect)) {
            clearTimeout(timer);
            resolve();
          }
        };
      }),
    ]);
    send({ type: 'initial', ms: performance.now() - t0, counts: counts(watches), closedEarly: watches.filter((w) => w.ended && w.events < m.expect).length, shortOnOpenWatch: watches.filter((w) => !w.ended && w.events < m.expect).length });
  } finally {
    closeAll(watches);
  }
}

process.on('message', (m: SideClientRequest) => {
  if (m.type === 'go') {
    pendingGo?.();
    return;
  }
  (m.type === 'fanout' ? fanout(m) : initial(m)).catch((e: unknown) => send({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
});
process.on('disconnect', () => process.exit(0));
