// A deliberately slow watch consumer. It reads a few events, then stops reading its response for
// a while, so the server's socket stops draining, its cacheWatcher's result and input buffers fill
// and the dispatcher force-closes it once an event cannot be delivered within the dispatch budget
// ("Forcing ... watcher close due to unresponsiveness", issues #125123 and #97845). The client only
// learns about it when it reads again: the stream simply ends with no ERROR event, and, like
// client-go, it re-watches from the last resourceVersion it saw.
import { Backoff, sleep } from './backoff.js';
import { listAll } from './lister.js';
import { statusOf, type Transport } from './transport.js';
import type { WatchStream } from './watch-stream.js';

export interface SlowReaderOptions {
  path: string;
  userAgent: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Events read after (re)connecting before the reader stops reading. */
  readBeforeHold: number;
  /** How long it stops reading. */
  holdMs: number;
  /** After a hold, how long it reads normally (if still connected) before holding again. */
  readMs: number;
}

export const DEFAULT_SLOW_READER: Omit<SlowReaderOptions, 'path'> = {
  userAgent: 'watchscope-demo/slow-reader', readBeforeHold: 1, holdMs: 15_000, readMs: 3_000,
};

export interface SlowReaderStats {
  state: 'idle' | 'listing' | 'reading' | 'holding' | 'backoff' | 'stopped';
  watches: number;
  holds: number;
  /** Streams the server ended early with no ERROR event (a forced close, seen once reading resumes). */
  forcedCloses: number;
  expired: number;
  relists: number;
  eventsRead: number;
  lastResourceVersion: string;
  lastError?: string;
}

// Long enough that a stream ending before it is a forced close, not a timeout.
const WATCH_TIMEOUT_SECONDS = 3600;

export class SlowReader {
  private readonly ctl = new AbortController();
  private readonly backoff = new Backoff(500, 10_000);
  private loop: Promise<void> | undefined;
  private stream: WatchStream | undefined;
  private rv = '';
  private o: SlowReaderOptions;
  private readonly s: SlowReaderStats = { state: 'idle', watches: 0, holds: 0, forcedCloses: 0, expired: 0, relists: 0, eventsRead: 0, lastResourceVersion: '' };

  constructor(private readonly t: Transport, opts: Partial<SlowReaderOptions> & { path: string }) {
    this.o = { ...DEFAULT_SLOW_READER, ...opts };
  }

  set(opts: Partial<Omit<SlowReaderOptions, 'path'>>): void {
    this.o = { ...this.o, ...opts };
  }

  start(): void {
    if (!this.loop) this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.ctl.abort();
    await this.stream?.close();
    await this.loop;
    this.s.state = 'stopped';
  }

  /** Ends the current hold now (a scenario lets the reader notice its forced close sooner). */
  releaseHold(): void {
    this.wakeHold?.();
  }

  private wakeHold: (() => void) | undefined;

  stats(): SlowReaderStats {
    return { ...this.s, lastResourceVersion: this.rv };
  }

  private get stopped(): boolean {
    return this.ctl.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.rv) {
          this.s.state = 'listing';
          this.s.relists++;
          const l = await listAll(this.t, {
            path: this.o.path, userAgent: this.o.userAgent, resourceVersion: '0',
            labelSelector: this.o.labelSelector, fieldSelector: this.o.fieldSelector, signal: this.ctl.signal,
          });
          if (!l.ok) throw new Error(`LIST ${l.status}: ${l.message ?? ''}`);
          this.rv = l.resourceVersion;
        }
        await this.watchOnce();
        this.backoff.reset();
      } catch (e) {
        if (this.stopped) return;
        this.s.lastError = (e as Error).message;
        this.s.state = 'backoff';
        if (!(await sleep(this.backoff.next(), this.ctl.signal))) return;
      }
    }
  }

  private async watchOnce(): Promise<void> {
    const opened = await this.t.watch({
      path: this.o.path,
      query: {
        resourceVersion: this.rv, timeoutSeconds: WATCH_TIMEOUT_SECONDS,
        labelSelector: this.o.labelSelector || undefined, fieldSelector: this.o.fieldSelector || undefined,
      },
      userAgent: this.o.userAgent,
      signal: this.ctl.signal,
    });
    if ('error' in opened) {
      if (opened.error.status === 410) {
        this.s.expired++;
        this.rv = '';
        return;
      }
      throw new Error(`WATCH ${opened.error.status}: ${statusOf(opened.error.body)?.message ?? ''}`);
    }
    const st = opened.stream;
    this.stream = st;
    this.s.watches++;
    const started = Date.now();
    let readSinceHold = 0;
    let phaseStart = Date.now();
    this.s.state = 'reading';
    try {
      for (;;) {
        if (this.stopped) return;
        const holdNow = readSinceHold >= this.o.readBeforeHold && Date.now() - phaseStart >= (this.s.holds === 0 ? 0 : this.o.readMs);
        if (holdNow && !st.ended) {
          this.s.holds++;
          this.s.state = 'holding';
          st.hold();
          const woken = new Promise<boolean>((r) => (this.wakeHold = () => r(true)));
          const slept = await Promise.race([sleep(this.o.holdMs, this.ctl.signal), woken]);
          this.wakeHold = undefined;
          if (!slept) return;
          st.release();
          this.s.state = 'reading';
          readSinceHold = 0;
          phaseStart = Date.now();
        }
        const ev = await st.next();
        if (!ev) break;
        if (ev.type === 'ERROR') {
          if (ev.object.code === 410) {
            this.s.expired++;
            this.rv = '';
          } else this.s.lastError = `watch ERROR ${ev.object.code ?? ''}: ${ev.object.message ?? ''}`;
          await st.close();
          return;
        }
        this.s.eventsRead++;
        readSinceHold++;
        const rv = ev.object.metadata?.resourceVersion;
        if (rv) this.rv = rv;
      }
    } finally {
      this.stream = undefined;
    }
    if (!this.stopped && st.ended === 'ended' && Date.now() - started < WATCH_TIMEOUT_SECONDS * 1000) this.s.forcedCloses++;
  }
}
