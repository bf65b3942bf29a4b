// How far the cache trails its source, for the UI's freshness view (watchscope's own figure:
// upstream exposes only the cache RV). Every revision seen at the source (events, progress
// notifications, the RV a read asked for, a periodic current-revision read) raises what the
// source is known to have reached; the lag is that minus the cache RV, and for how long the cache
// has been behind.
//
// The periodic read is shared: every cacher of a server polls the same source, and where the
// source's revision is the whole store's (etcd's header revision) one read per period serves them
// all, instead of one quorum read per resource per second (a fixed cost of several dozen gRPC
// calls a second in a server with every built-in resource).
import type { Source } from '../source.js';
import type { Clock, TimerHandle } from './clock.js';

/** One periodic currentRevision read of a source, fanned out to every Freshness that subscribed. */
class RevisionPoll {
  readonly subscribers = new Set<Freshness>();
  private timer?: TimerHandle;

  constructor(
    private readonly source: Source,
    private readonly prefix: string,
    readonly clock: Clock,
    readonly everyMs: number,
    private readonly onIdle: (p: RevisionPoll) => void,
  ) {}

  add(f: Freshness): void {
    this.subscribers.add(f);
    if (!this.timer) this.schedule();
  }

  delete(f: Freshness): void {
    this.subscribers.delete(f);
    if (this.subscribers.size > 0) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.onIdle(this);
  }

  private schedule(): void {
    const timer = this.clock.setTimeout(() => {
      this.source
        .currentRevision(this.prefix)
        .then((r) => {
          for (const f of this.subscribers) f.noteSourceRevision(r);
        })
        .catch(() => undefined)
        .finally(() => {
          if (this.timer === timer && this.subscribers.size > 0) this.schedule();
        });
    }, this.everyMs);
    this.timer = timer;
  }
}

/** Shared polls of sources whose revision is the whole store's, by source. */
const storePolls = new WeakMap<Source, RevisionPoll[]>();

function storePoll(source: Source, prefix: string, clock: Clock, everyMs: number): RevisionPoll {
  let polls = storePolls.get(source);
  if (!polls) storePolls.set(source, (polls = []));
  let p = polls.find((x) => x.clock === clock && x.everyMs === everyMs);
  if (!p) {
    p = new RevisionPoll(source, prefix, clock, everyMs, (idle) => {
      const left = storePolls.get(source)?.filter((x) => x !== idle) ?? [];
      if (left.length) storePolls.set(source, left);
      else storePolls.delete(source);
    });
    polls.push(p);
  }
  return p;
}

export class Freshness {
  /** Highest revision the source is known to have reached. */
  private sourceRevision = 0;
  private behindSince?: number;
  private poller?: RevisionPoll;
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

  /**
   * Reads the source's current revision every `everyMs` (0 = never) until stopped: one read per
   * period shared with every other Freshness on the same source when its revision is the store's,
   * else a read of this collection's own.
   */
  poll(source: Source, collectionKey: string, everyMs: number): void {
    if (!everyMs || this.stopped || this.poller) return;
    this.poller = source.revisionScope === 'store' ? storePoll(source, collectionKey, this.clock, everyMs) : new RevisionPoll(source, collectionKey, this.clock, everyMs, () => undefined);
    this.poller.add(this);
  }

  stop(): void {
    this.stopped = true;
    this.poller?.delete(this);
    this.poller = undefined;
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
