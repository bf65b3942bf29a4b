// The side-by-side bench's watch client: many watches over HTTPS with a bearer token, each on its
// own TLS connection as separate client-go informers would be. It is as cheap as it can be so that
// it measures the servers, not itself: a raw TLS socket per watch, a hand-written request, and the
// response read by side-watch-stream.ts (lines scanned as bytes, no JSON parse); the same client
// reads both servers.
import { connect, type TLSSocket } from 'node:tls';
import { wallNow } from './lib.js';
import { isBookmark, WatchResponseParser } from './side-watch-stream.js';

export interface SideTarget {
  url: string;
  token: string;
  caPem?: string;
}

export interface Watch {
  socket: TLSSocket;
  events: number;
  bookmarks: number;
  ended: boolean;
  /** The server ended the response as HTTP says (the terminating chunk), not by dropping the connection. */
  complete: boolean;
  /** Why the client gave up on this watch (a response it could not read), if it did. */
  error?: Error;
}

/**
 * Opens `n` watches; `onEvent` sees every event line (not bookmarks) with its arrival time, and
 * `onChange` runs after each read and when a watch ends.
 */
export function openWatches(t: SideTarget, n: number, path: string, onEvent: (line: Buffer, at: number) => void, onChange: () => void): { watches: Watch[]; connected: Promise<void> } {
  const url = new URL(path, t.url);
  const request = Buffer.from(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${t.token}\r\nAccept: application/json\r\nUser-Agent: watchscope-bench\r\nConnection: close\r\n\r\n`, 'latin1');
  const watches: Watch[] = [];
  const connected: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const w = { events: 0, bookmarks: 0, ended: false, complete: false } as Watch;
    let at = 0;
    const parser = new WatchResponseParser({
      line(line) {
        if (line.length === 0) return;
        // A bookmark is not one of the events a watcher waits for.
        if (isBookmark(line)) {
          w.bookmarks++;
          return;
        }
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
            w.error = e as Error;
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
            w.complete = true;
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

export function counts(ws: Watch[]): { min: number; max: number } {
  let min = Infinity;
  let max = 0;
  for (const w of ws) {
    if (w.events < min) min = w.events;
    if (w.events > max) max = w.events;
  }
  return { min: ws.length ? min : 0, max };
}
