// What the cachers ingest, seen on its way in: a Source wrapper that tells listeners about every
// list (a cacher's initial state or relist), watch event and progress notification, then hands
// them on unchanged. The session wraps each cacher's source once; a recording subscribes while it
// runs, so an idle tap costs one empty-set check per delivery.
import { ForwardingSource } from '../storage/forwarding-source.js';
import type { Source, SourceEvent, SourceListResult, SourceWatch, SourceWatchHandlers } from '../storage/source.js';

export interface IngestListener {
  onList(prefix: string, result: SourceListResult): void;
  onEvents(prefix: string, events: SourceEvent[]): void;
  onProgress(prefix: string, revision: number): void;
}

export class SourceTap {
  private readonly listeners = new Set<IngestListener>();

  subscribe(l: IngestListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get active(): boolean {
    return this.listeners.size > 0;
  }

  wrap(source: Source): Source {
    return new TappedSource(source, this);
  }

  /** Each listener on its own: a failing recording must never break what the cacher receives. */
  notify(fn: (l: IngestListener) => void): void {
    for (const l of this.listeners) {
      try {
        fn(l);
      } catch {
        // the recorder reports its own failures in its status
      }
    }
  }
}

class TappedSource extends ForwardingSource {
  constructor(
    inner: Source,
    private readonly tap: SourceTap,
  ) {
    super(inner);
  }

  override async list(prefix: string): Promise<SourceListResult> {
    const r = await this.inner.list(prefix);
    if (this.tap.active) this.tap.notify((l) => l.onList(prefix, r));
    return r;
  }

  watch(prefix: string, afterRevision: number, handlers: SourceWatchHandlers): SourceWatch {
    return this.inner.watch(prefix, afterRevision, {
      ...handlers,
      onEvents: (events) => {
        if (this.tap.active) this.tap.notify((l) => l.onEvents(prefix, events));
        handlers.onEvents(events);
      },
      onProgress: (rev) => {
        if (this.tap.active) this.tap.notify((l) => l.onProgress(prefix, rev));
        handlers.onProgress(rev);
      },
    });
  }
}
