// A Source is what a Cacher lists and watches: etcd directly, or a cluster's kube-apiserver.
// It mirrors what upstream's reflector needs from etcd3 storage: a consistent list at one
// revision, a watch from that revision+1 with previous values and progress notifications, and
// the current revision for consistent reads.
import type { StoredObject } from './object.js';

export type SourceEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface SourceEvent {
  type: SourceEventType;
  key: string;
  /** For DELETED: the object as it was before deletion, stamped with the delete's revision. */
  object: StoredObject;
  /** The value before this event (etcd prev_kv), when known. */
  prevObject?: StoredObject;
  /** The revision of this event (etcd mod revision; the delete's revision for DELETED). */
  resourceVersion: number;
}

export interface SourceListResult {
  items: StoredObject[];
  /** The revision the list is consistent at. */
  resourceVersion: number;
}

/** Why a source watch ended. `compacted` carries the compaction revision when etcd told it. */
export type SourceWatchEnd =
  | { reason: 'compacted'; compactRevision?: number; message: string }
  | { reason: 'error'; message: string }
  | { reason: 'stopped'; message: string };

export interface SourceWatchHandlers {
  /**
   * Events of one etcd watch response, in revision order. The events of one revision (one txn)
   * always arrive in the same call.
   */
  onEvents(events: SourceEvent[]): void;
  /** A progress notification (or a cluster bookmark): everything up to `revision` was delivered. */
  onProgress(revision: number): void;
  /** The watch ended and will not deliver more. Called exactly once. */
  onEnd(end: SourceWatchEnd): void;
  /** Connection state changes while the source resumes a dropped stream (for the UI). */
  onReconnecting?(info: { attempt: number; error: string; retryInMs: number }): void;
  onReconnected?(): void;
}

export interface SourceWatch {
  /** Asks the server for a progress notification (etcd RequestProgress). No-op when unsupported. */
  requestProgress(): void;
  stop(): void;
}

export interface SourceInfo {
  kind: 'etcd' | 'kube';
  /** etcd server version, or the cluster's gitVersion. */
  version: string;
  /**
   * Whether upstream would trust on-demand progress requests from this server
   * (etcd >= 3.4.31 on 3.4, >= 3.5.13 on 3.5+; storage/feature/feature_support_checker.go).
   */
  supportsRequestWatchProgress: boolean;
  endpoints: string[];
}

export interface Source {
  info(): SourceInfo;
  /** Lists everything under `prefix` (a key prefix ending in '/') at one revision, paged. */
  list(prefix: string): Promise<SourceListResult>;
  /** Watches `prefix` for events with revision > `afterRevision`. */
  watch(prefix: string, afterRevision: number, handlers: SourceWatchHandlers): SourceWatch;
  /** The current revision of the store (a quorum read). */
  currentRevision(prefix: string): Promise<number>;
  /**
   * 'store' when currentRevision answers the whole store's revision whatever the prefix (etcd's
   * header revision), so one read serves every collection; absent when it is per collection.
   */
  readonly revisionScope?: 'store';
  close(): Promise<void>;
}
