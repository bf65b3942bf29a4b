// An in-memory Source for pure-logic tests: a revisioned key space with history, multi-key
// transactions, compaction and on-demand progress notifications. Real behaviour is proven
// against etcd in cacher.etcd.test.ts.
import type { KubeObject, StoredObject } from '../object.js';
import type { Source, SourceEvent, SourceInfo, SourceListResult, SourceWatch, SourceWatchHandlers } from '../source.js';

export type FakeOp = { type: 'put'; key: string; object: KubeObject } | { type: 'delete'; key: string };

interface Watch {
  prefix: string;
  handlers: SourceWatchHandlers;
  stopped: boolean;
}

export class FakeSource implements Source {
  revision = 1;
  compactRevision = 0;
  private kv = new Map<string, StoredObject>();
  private log: SourceEvent[] = [];
  private watches = new Set<Watch>();
  progressRequests = 0;
  /** Set false to ignore progress requests (like etcd < 3.4.31 for a new idle watch). */
  answerProgress = true;

  info(): SourceInfo {
    return { kind: 'etcd', version: 'fake', supportsRequestWatchProgress: true, endpoints: [] };
  }

  async list(prefix: string): Promise<SourceListResult> {
    const items = [...this.kv.values()].filter((s) => s.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : 1));
    return { items, resourceVersion: this.revision };
  }

  async currentRevision(): Promise<number> {
    return this.revision;
  }

  async close(): Promise<void> {
    for (const w of this.watches) w.stopped = true;
    this.watches.clear();
  }

  /** One transaction: all ops share one new revision and are delivered in one call. */
  txn(ops: FakeOp[]): number {
    const rev = ++this.revision;
    const evs: SourceEvent[] = [];
    for (const op of ops) {
      const prev = this.kv.get(op.key);
      if (op.type === 'put') {
        const object = { ...op.object, metadata: { ...op.object.metadata, resourceVersion: String(rev) } };
        const s: StoredObject = { key: op.key, object, resourceVersion: rev, encoding: 'json', size: 0 };
        this.kv.set(op.key, s);
        evs.push({ type: prev ? 'MODIFIED' : 'ADDED', key: op.key, object: s, prevObject: prev, resourceVersion: rev });
      } else if (prev) {
        this.kv.delete(op.key);
        const object = { ...prev.object, metadata: { ...prev.object.metadata, resourceVersion: String(rev) } };
        evs.push({ type: 'DELETED', key: op.key, object: { ...prev, object, resourceVersion: rev }, prevObject: prev, resourceVersion: rev });
      }
    }
    this.log.push(...evs);
    for (const w of this.watches) {
      if (w.stopped) continue;
      const mine = evs.filter((e) => e.key.startsWith(w.prefix));
      if (mine.length) w.handlers.onEvents(mine);
    }
    return rev;
  }

  put(key: string, object: KubeObject): number {
    return this.txn([{ type: 'put', key, object }]);
  }

  delete(key: string): number {
    return this.txn([{ type: 'delete', key }]);
  }

  /** A write elsewhere in the key space: bumps the revision only. */
  bump(): number {
    return ++this.revision;
  }

  compact(rev: number): void {
    this.compactRevision = rev;
    this.log = this.log.filter((e) => e.resourceVersion > rev);
  }

  /** Ends every watch as etcd does when its stream is cancelled for compaction. */
  cancelWatches(end: 'compacted' | 'error' = 'compacted'): void {
    for (const w of [...this.watches]) {
      w.stopped = true;
      this.watches.delete(w);
      if (end === 'compacted') w.handlers.onEnd({ reason: 'compacted', compactRevision: this.compactRevision, message: 'mvcc: required revision has been compacted' });
      else w.handlers.onEnd({ reason: 'error', message: 'connection lost' });
    }
  }

  /** A periodic progress notify to every watch. */
  progress(): void {
    for (const w of this.watches) if (!w.stopped) w.handlers.onProgress(this.revision);
  }

  get watchCount(): number {
    return this.watches.size;
  }

  watch(prefix: string, afterRevision: number, handlers: SourceWatchHandlers): SourceWatch {
    const w: Watch = { prefix, handlers, stopped: false };
    if (afterRevision < this.compactRevision) {
      queueMicrotask(() => handlers.onEnd({ reason: 'compacted', compactRevision: this.compactRevision, message: 'mvcc: required revision has been compacted' }));
      return { requestProgress() {}, stop() {} };
    }
    this.watches.add(w);
    const backlog = this.log.filter((e) => e.resourceVersion > afterRevision && e.key.startsWith(prefix));
    if (backlog.length) handlers.onEvents(backlog);
    return {
      requestProgress: () => {
        this.progressRequests++;
        if (this.answerProgress && !w.stopped) queueMicrotask(() => !w.stopped && handlers.onProgress(this.revision));
      },
      stop: () => {
        if (w.stopped) return;
        w.stopped = true;
        this.watches.delete(w);
        handlers.onEnd({ reason: 'stopped', message: 'stopped' });
      },
    };
  }
}
