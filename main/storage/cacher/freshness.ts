// How far the cache trails its source, for the UI's freshness view (watchscope's own figure:
// upstream exposes only the cache RV). Every revision seen at the source (events, progress
// notifications, the RV a read asked for, a periodic current-revision read) raises what the
// source is known to have reached; the lag is that minus the cache RV, and for how long the cache
// has been behind.
import type { Source } from '../source.js';
import type { Clock, TimerHandle } from './clock.js';

export class Freshness {
  /** Highest revision the source is known to have reached. */
  private sourceRevision = 0;
  private behindSince?: number;
  private pollTimer?: TimerHandle;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly cacheResourceVersion: () => number,
  ) {}

  /** Records a revision seen at the source. */
  noteSourceRevision(rev: number): void {
    if (rev > this.sourceRevision) this.sourceRevision = rev;
    this.update();
  }

  /** Re-evaluates after the cache RV moved. */
  update(): void {
    if (this.cacheResourceVersion() >= this.sourceRevision) this.behindSince = undefined;
    else if (this.behindSince === undefined) this.behindSince = this.clock.now();
  }

  /** Reads the source's current revision every `everyMs` (0 = never) until stopped. */
  poll(source: Source, collectionKey: string, everyMs: number): void {
    if (!everyMs || this.stopped) return;
    this.pollTimer = this.clock.setTimeout(() => {
      source
        .currentRevision(collectionKey)
        .then((r) => this.noteSourceRevision(r))
        .catch(() => undefined)
        .finally(() => this.poll(source, collectionKey, everyMs));
    }, everyMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.pollTimer) this.clock.clearTimeout(this.pollTimer);
  }

  /** sourceRevision, lagRevisions and lagMs of CacheInfo. */
  lag(): { sourceRevision: number; lagRevisions: number; lagMs: number } {
    const rv = this.cacheResourceVersion();
    const lagRevisions = Math.max(0, this.sourceRevision - rv);
    return {
      sourceRevision: Math.max(this.sourceRevision, rv),
      lagRevisions,
      lagMs: lagRevisions > 0 && this.behindSince !== undefined ? this.clock.now() - this.behindSince : 0,
    };
  }
}
