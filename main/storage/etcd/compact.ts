// Compactions as kube-apiserver sees them (storage/etcd3/compact.go) and as etcd really has them.
//
// kube-apiserver's compactor records each compaction in `compact_rev_key` (outside any resource
// prefix) before asking etcd to compact; from 1.34, with ListFromCacheSnapshot, the etcd3 store
// also watches that key, so every kube-apiserver on the etcd learns the compaction revision and
// its cachers prune their snapshots below it. A compaction made directly on etcd (etcdctl, a
// backup tool, watchscope's own "compact" action) never writes the key: kube-apiserver does not
// learn of it. `EtcdCompactions` follows both: the key, as the etcd3 store does, and etcd's own
// compaction revision, which upstream never reads and watchscope shows beside it.
import type * as grpc from '@grpc/grpc-js';
import { isCompactedError, isFutureRevisionError, type EtcdClient, type WatchRequest, type WatchResponse } from './client.js';

/** compactRevKey in compact.go. */
export const compactRevKey = 'compact_rev_key';

export interface CompactResult {
  /** compact_rev_key's version after the call (the compactors' logical clock). */
  currentVersion: number;
  /** etcd's revision when the txn ran: the next call compacts up to it. */
  currentRev: number;
  /** The revision compacted (this call's, or the one another compactor recorded); 0 = none. */
  compactRev: number;
}

/**
 * One step of kube-apiserver's compaction protocol (compact.go Compact): if compact_rev_key is
 * still at `expectVersion`, record `rev` in it and compact etcd at `rev` (nothing at 0, the
 * bootstrap step); otherwise another compactor won, and its recorded revision is returned.
 */
export async function compactLikeKubeApiserver(client: EtcdClient, expectVersion: number, rev: number): Promise<CompactResult> {
  const key = Buffer.from(compactRevKey);
  const resp = await client.txn({
    compare: [{ result: 'EQUAL', target: 'VERSION', key, version: expectVersion }],
    success: [{ request_put: { key, value: Buffer.from(String(rev)) } }],
    failure: [{ request_range: { key } }],
  });
  const currentRev = Number(resp.header.revision);
  if (!resp.succeeded) {
    const kv = resp.responses[0]?.response_range?.kvs[0];
    const recorded = kv ? Number(kv.value.toString('utf8')) : NaN;
    return { currentVersion: kv ? Number(kv.version) : 0, currentRev, compactRev: Number.isFinite(recorded) ? recorded : 0 };
  }
  if (rev === 0) return { currentVersion: expectVersion + 1, currentRev, compactRev: 0 };
  await client.compact(rev, false);
  return { currentVersion: expectVersion + 1, currentRev, compactRev: rev };
}

export interface EtcdCompactionsOptions {
  /** How often etcd's own compaction revision is checked (default 1 s). */
  probeMs?: number;
  /** Pause before re-reading compact_rev_key after its watch failed (compact.go: 1 s). */
  retryMs?: number;
}

export class EtcdCompactions {
  /** The newest compaction revision recorded in compact_rev_key (the store's CompactRevision()). */
  keyRevision = 0;
  /** etcd's own compaction revision (reads below it fail); 0 = never compacted. */
  etcdRevision = 0;
  private stopped = false;
  private call: grpc.ClientDuplexStream<WatchRequest, WatchResponse> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly probeMs: number;
  private readonly retryMs: number;

  constructor(
    private readonly client: EtcdClient,
    opts: EtcdCompactionsOptions = {},
  ) {
    this.probeMs = opts.probeMs ?? 1000;
    this.retryMs = opts.retryMs ?? 1000;
  }

  start(): void {
    void this.followKey();
    const probe = async () => {
      this.probeTimer = undefined;
      await this.refreshEtcdRevision().catch(() => undefined);
      if (!this.stopped) this.probeTimer = setTimeout(() => void probe(), this.probeMs);
    };
    void probe();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.closeCall();
  }

  /** UpdateCompactRevision: only ever moves forward; 0 means "nothing recorded". */
  private noteKey(value: Buffer | undefined): void {
    const rev = value ? Number(value.toString('utf8')) : 0;
    if (Number.isFinite(rev) && rev > this.keyRevision) this.keyRevision = rev;
  }

  /** runWatchLoop: read the key, then watch it from the read's revision; on failure start over. */
  private async followKey(): Promise<void> {
    if (this.stopped) return;
    try {
      const key = Buffer.from(compactRevKey);
      const got = await this.client.range({ key });
      this.noteKey(got.kvs[0]?.value);
      if (this.stopped) return;
      const call = this.client.openWatch();
      this.call = call;
      const again = () => {
        if (this.call !== call) return;
        this.closeCall();
        this.retryLater();
      };
      call.on('data', (resp: WatchResponse) => {
        if (resp.canceled || Number(resp.compact_revision) > 0) return again();
        const last = resp.events[resp.events.length - 1];
        if (last) this.noteKey(last.kv.value);
      });
      call.on('error', again);
      call.on('end', again);
      call.write({ create_request: { key, start_revision: Number(got.header.revision) } });
    } catch {
      this.retryLater();
    }
  }

  private retryLater(): void {
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.followKey();
    }, this.retryMs);
  }

  private closeCall(): void {
    const c = this.call;
    this.call = undefined;
    try {
      c?.cancel();
    } catch {
      // already closed
    }
  }

  /**
   * Reads etcd's compaction revision: a read at the last known one still succeeds unless etcd
   * compacted further; if it fails, a watch from revision 1 is cancelled with the exact revision.
   */
  async refreshEtcdRevision(): Promise<number> {
    const probeKey = Buffer.from(compactRevKey);
    const readableAt = async (revision: number): Promise<boolean> => {
      try {
        await this.client.range({ key: probeKey, revision, count_only: true });
        return true;
      } catch (e) {
        if (isCompactedError(e)) return false;
        // A revision this etcd has not reached: it is another cluster now (a new data dir).
        if (isFutureRevisionError(e) && this.etcdRevision > 0) {
          this.etcdRevision = 0;
          return readableAt(1);
        }
        throw e;
      }
    };
    if (await readableAt(Math.max(this.etcdRevision, 1))) return this.etcdRevision;
    const rev = await new Promise<number>((resolve, reject) => {
      const call = this.client.openWatch();
      const done = (f: () => void) => {
        clearTimeout(timer);
        try {
          call.cancel();
        } catch {
          // already closed
        }
        f();
      };
      const timer = setTimeout(() => done(() => reject(new Error('etcd did not report its compaction revision'))), 5000);
      call.on('data', (resp: WatchResponse) => {
        const c = Number(resp.compact_revision);
        if (c > 0) done(() => resolve(c));
      });
      call.on('error', (err: Error) => done(() => reject(err)));
      call.write({ create_request: { key: probeKey, start_revision: 1 } });
    });
    this.etcdRevision = Math.max(this.etcdRevision, rev);
    return this.etcdRevision;
  }
}
