// Reads a Kubernetes JSON watch response: a chunked stream of {"type":..., "object":...} values,
// framed by the one JsonObjectFramer (main/util) that every watch-stream reader uses.
import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { JsonObjectFramer } from '../util/json-object-framer.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchObjectMeta {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export interface WatchEventJson {
  type: WatchEventType;
  object: { kind?: string; metadata?: WatchObjectMeta; code?: number; reason?: string; message?: string; [k: string]: unknown };
}

export type WatchStreamEnd = 'ended' | 'error' | 'closed';

/**
 * Pull-based reader over one watch response. Reading is on demand: when the consumer is behind
 * by more than `highWater` events the socket is paused, so a slow consumer exerts TCP
 * back-pressure on the server exactly as a slow client-go consumer does. `hold()` pauses the
 * socket regardless (the deliberately slow reader of the demo).
 */
export class WatchStream implements AsyncIterable<WatchEventJson> {
  private readonly queue: WatchEventJson[] = [];
  private readonly framer = new JsonObjectFramer();
  private readonly decoder = new StringDecoder('utf8');
  private waiter: ((v: WatchEventJson | null) => void) | undefined;
  private held = false;
  private done: WatchStreamEnd | undefined;
  private errorText: string | undefined;
  private readonly closedPromise: Promise<void>;
  /** Events parsed so far (including ones not yet consumed). */
  received = 0;
  bytes = 0;

  constructor(
    private readonly res: IncomingMessage,
    private readonly abort: () => void,
    private readonly highWater = 64,
  ) {
    let markClosed!: () => void;
    this.closedPromise = new Promise((r) => (markClosed = r));
    res.on('data', (chunk: Buffer) => this.onText(this.decoder.write(chunk), chunk.length));
    res.on('end', () => {
      this.onText(this.decoder.end(), 0);
      if (this.framer.pending > 0) this.finish('error', 'watch stream ended inside an object');
      else this.finish('ended');
    });
    res.on('error', (e) => this.finish('error', e.message));
    res.on('close', () => {
      // 'close' without 'end': the connection was cut (server crash, socket destroyed).
      if (!res.complete) this.finish(this.done ?? 'error', this.errorText ?? 'connection closed before the watch ended');
      markClosed();
    });
  }

  private onText(text: string, bytes: number): void {
    this.bytes += bytes;
    if (!text || this.done) return;
    let objs: string[];
    try {
      objs = this.framer.push(text);
    } catch (e) {
      this.finish('error', (e as Error).message);
      this.abort();
      return;
    }
    for (const o of objs) {
      let ev: WatchEventJson;
      try {
        ev = JSON.parse(o) as WatchEventJson;
      } catch (e) {
        this.finish('error', `undecodable watch event: ${(e as Error).message}`);
        this.abort();
        return;
      }
      this.received++;
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(ev);
      } else {
        this.queue.push(ev);
      }
    }
    if (this.queue.length >= this.highWater) this.res.pause();
  }

  private finish(reason: WatchStreamEnd, error?: string): void {
    if (this.done) return;
    this.done = reason;
    this.errorText = error;
    if (this.waiter && this.queue.length === 0) {
      const w = this.waiter;
      this.waiter = undefined;
      w(null);
    }
  }

  /** Next event, or null once the stream has ended and everything was consumed. */
  next(): Promise<WatchEventJson | null> {
    const ev = this.queue.shift();
    if (!this.held && this.queue.length < this.highWater / 2 && !this.done) this.res.resume();
    if (ev) return Promise.resolve(ev);
    if (this.done) return Promise.resolve(null);
    return new Promise((r) => (this.waiter = r));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEventJson> {
    for (;;) {
      const ev = await this.next();
      if (!ev) return;
      yield ev;
    }
  }

  /** Stop reading from the socket (the consumer "hangs"); events pile up on the server. */
  hold(): void {
    this.held = true;
    this.res.pause();
  }

  release(): void {
    this.held = false;
    if (this.queue.length < this.highWater) this.res.resume();
  }

  get isHeld(): boolean {
    return this.held;
  }

  /** Why the stream ended (undefined while open). */
  get ended(): WatchStreamEnd | undefined {
    return this.done;
  }

  get error(): string | undefined {
    return this.errorText;
  }

  /** Close from the client side and wait for the socket to go away. */
  async close(): Promise<void> {
    this.finish('closed');
    this.abort();
    await this.closedPromise;
  }
}
