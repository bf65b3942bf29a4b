// A Source wrapper that applies its watches' deliveries a fixed time late, in order: a model of a
// lagging apiserver replica whose watch cache trails etcd (kubernetes#59848, HA "time travel").
// Lists and revisions pass straight through, as a real replica's quorum reads would.
import type { SourceWatch, SourceWatchHandlers } from './source.js';
import { ForwardingSource } from './forwarding-source.js';

export class DelayedSource extends ForwardingSource {
  private delayMs = 0;

  setDelay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  get delay(): number {
    return this.delayMs;
  }

  watch(prefix: string, afterRevision: number, handlers: SourceWatchHandlers): SourceWatch {
    // Deliveries are queued with their due time; one timer drains the head, so order is kept
    // even when the delay changes while events are queued.
    const queue: { due: number; run: () => void }[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const drain = () => {
      timer = undefined;
      const now = Date.now();
      while (queue.length && queue[0]!.due <= now && !stopped) queue.shift()!.run();
      if (queue.length && !stopped) timer = setTimeout(drain, Math.max(1, queue[0]!.due - Date.now()));
    };
    const later = (run: () => void) => {
      if (this.delayMs === 0 && queue.length === 0) return run();
      queue.push({ due: Date.now() + this.delayMs, run });
      if (!timer) timer = setTimeout(drain, Math.max(1, queue[0]!.due - Date.now()));
    };
    const inner = this.inner.watch(prefix, afterRevision, {
      onEvents: (events) => later(() => handlers.onEvents(events)),
      onProgress: (rev) => later(() => handlers.onProgress(rev)),
      onEnd: (end) => later(() => handlers.onEnd(end)),
      onReconnecting: (i) => handlers.onReconnecting?.(i),
      onReconnected: () => handlers.onReconnected?.(),
    });
    return {
      requestProgress: () => inner.requestProgress(),
      stop: () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        queue.length = 0;
        inner.stop();
      },
    };
  }
}
