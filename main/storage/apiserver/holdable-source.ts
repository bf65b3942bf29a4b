// A Source wrapper that can hold back what its watches deliver, so a Cacher fed by it lags
// etcd on purpose: the way to show a stale RV="0" read (kubernetes#59848) or a consistent read
// waiting for the cache. Lists and revisions pass straight through. Held deliveries are kept in
// order and released together; the hold is bounded so a forgotten hold cannot grow forever.
import type { Source, SourceEvent, SourceWatch, SourceWatchHandlers } from '../source.js';
import { ForwardingSource } from '../forwarding-source.js';

type Held = { kind: 'events'; events: SourceEvent[]; h: SourceWatchHandlers } | { kind: 'progress'; revision: number; h: SourceWatchHandlers };

export class HoldableSource extends ForwardingSource {
  private held: Held[] = [];
  private holding = false;

  constructor(
    inner: Source,
    private readonly maxHeld = 100_000,
  ) {
    super(inner);
  }

  get isHolding(): boolean {
    return this.holding;
  }

  /** Deliveries from now on are kept back until release(). */
  hold(): void {
    this.holding = true;
  }

  /** Delivers everything held, in order, and stops holding. */
  release(): void {
    this.holding = false;
    const held = this.held;
    this.held = [];
    for (const x of held) {
      if (x.kind === 'events') x.h.onEvents(x.events);
      else x.h.onProgress(x.revision);
    }
  }

  watch(prefix: string, afterRevision: number, handlers: SourceWatchHandlers): SourceWatch {
    const keep = (x: Held) => {
      if (this.held.length >= this.maxHeld) this.release();
      this.held.push(x);
    };
    return this.inner.watch(prefix, afterRevision, {
      ...handlers,
      onEvents: (events) => (this.holding ? keep({ kind: 'events', events, h: handlers }) : handlers.onEvents(events)),
      onProgress: (revision) => (this.holding ? keep({ kind: 'progress', revision, h: handlers }) : handlers.onProgress(revision)),
      onEnd: (end) => {
        // Flush this watch's held deliveries before it ends so nothing is lost or reordered.
        const mine = this.held.filter((x) => x.h === handlers);
        this.held = this.held.filter((x) => x.h !== handlers);
        for (const x of mine) {
          if (x.kind === 'events') handlers.onEvents(x.events);
          else handlers.onProgress(x.revision);
        }
        handlers.onEnd(end);
      },
    });
  }
}
