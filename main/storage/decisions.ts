// Where the endpoint records one routing Decision per request. Kept in a bounded ring so a long
// session's memory stays flat; telemetry reads it, the debug endpoint serves it.
import type { Decision } from '../../shared/model.js';
import { Ring } from '../util/ring.js';

export type DecisionInput = Omit<Decision, 'id'>;

/** How a request that streams its answer ended, told after its Decision was recorded. */
export type RequestEnd = { list: { objects: number; bytes: number } } | { watch: { durationMs: number; reason: string } };

export interface DecisionSink {
  record(d: DecisionInput): Decision;
  /** A LIST's answer was written, or a watch ended (once, after record). */
  end?(d: Decision, e: RequestEnd): void;
}

export class DecisionLog implements DecisionSink {
  private readonly ring: Ring<Decision>;
  private nextId = 1;
  private readonly listeners = new Set<(d: Decision) => void>();
  private readonly endListeners = new Set<(d: Decision, e: RequestEnd) => void>();

  constructor(capacity = 5000) {
    this.ring = new Ring(capacity);
  }

  record(d: DecisionInput): Decision {
    const full: Decision = { ...d, id: this.nextId++ };
    this.ring.push(full);
    for (const l of this.listeners) l(full);
    return full;
  }

  end(d: Decision, e: RequestEnd): void {
    if ('list' in e) {
      d.objects = e.list.objects;
      d.bytes = e.list.bytes;
    }
    for (const l of this.endListeners) l(d, e);
  }

  /** Decisions with id > since, oldest first, at most `max` (the newest ones). */
  since(since = 0, max = Number.POSITIVE_INFINITY): Decision[] {
    // Walk back from the newest: a snapshot asks for the few recorded since the last one, and
    // copying the whole ring each time would cost O(capacity) per snapshot.
    const out: Decision[] = [];
    for (let i = this.ring.length - 1; i >= 0 && out.length < max; i--) {
      const d = this.ring.at(i)!;
      if (d.id <= since) break;
      out.push(d);
    }
    return out.reverse();
  }

  get lastId(): number {
    return this.nextId - 1;
  }

  /** For tests and the console: be told of each decision as it is recorded. */
  subscribe(fn: (d: Decision) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Be told when a recorded LIST's answer was written or a recorded watch ended. */
  subscribeEnds(fn: (d: Decision, e: RequestEnd) => void): () => void {
    this.endListeners.add(fn);
    return () => this.endListeners.delete(fn);
  }
}
