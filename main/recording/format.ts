// The recording file: a sequence of gzip members ("segments"), each holding JSON lines and each
// decodable on its own. A segment's gzip header carries an extra field ("WS") with the segment's
// sequence number and start time, so a reader finds every segment and its time by scanning the
// file's bytes for that header (index of offsets, nothing decompressed) and can open any segment
// without reading the ones before it. `gzip -dc FILE` prints all lines.
//
// Within a segment the deflate stream is written in flushed chunks (a sync flush ends every
// chunk on a byte boundary), so a file cut by a crash or kill -9 still inflates up to its last
// complete chunk; the reader keeps every complete line before the cut.
import { crc32, inflateRawSync, constants as zc } from 'node:zlib';
import type { CacheInfo, ClusterMetrics, ConnectionState, Decision, FreshnessPoint, Snapshot, WatcherInfo } from '../../shared/model.js';

export const FORMAT_NAME = 'watchscope-recording';
export const FORMAT_VERSION = 1;
/** File name extension the app proposes (the content is gzip). */
export const RECORDING_EXT = '.wsrec.gz';

// gzip header: ID1 ID2 CM FLG(FEXTRA|FHCRC) MTIME(4) XFL OS XLEN(2) | SI1 SI2 LEN(2) data(16) | CRC16
const FLG = 0x04 | 0x02;
const EXTRA_DATA_LEN = 16;
const XLEN = 4 + EXTRA_DATA_LEN;
export const SEGMENT_HEADER_LEN = 10 + 2 + XLEN + 2;
const MAGIC = Buffer.from([0x1f, 0x8b, 0x08, FLG]);

/** The gzip header that opens a segment. */
export function segmentHeader(seq: number, startTime: number): Buffer {
  const b = Buffer.alloc(SEGMENT_HEADER_LEN);
  MAGIC.copy(b, 0);
  b.writeUInt32LE(Math.floor(startTime / 1000) >>> 0, 4); // MTIME
  b[8] = 0; // XFL
  b[9] = 255; // OS unknown
  b.writeUInt16LE(XLEN, 10);
  b[12] = 0x57; // 'W'
  b[13] = 0x53; // 'S'
  b.writeUInt16LE(EXTRA_DATA_LEN, 14);
  b.writeUInt32LE(FORMAT_VERSION, 16);
  b.writeUInt32LE(seq >>> 0, 20);
  b.writeDoubleLE(startTime, 24);
  b.writeUInt16LE(crc32(b.subarray(0, SEGMENT_HEADER_LEN - 2)) & 0xffff, SEGMENT_HEADER_LEN - 2);
  return b;
}

export interface SegmentHeader {
  seq: number;
  startTime: number;
}

/** Parses a segment header at `at`, or undefined if the bytes there are not one (checked by its CRC). */
export function parseSegmentHeader(buf: Buffer, at: number): SegmentHeader | undefined {
  if (at + SEGMENT_HEADER_LEN > buf.length) return undefined;
  if (buf[at] !== 0x1f || buf[at + 1] !== 0x8b || buf[at + 2] !== 0x08 || buf[at + 3] !== FLG) return undefined;
  if (buf.readUInt16LE(at + 10) !== XLEN || buf[at + 12] !== 0x57 || buf[at + 13] !== 0x53) return undefined;
  if (buf.readUInt16LE(at + 14) !== EXTRA_DATA_LEN || buf.readUInt32LE(at + 16) !== FORMAT_VERSION) return undefined;
  const crc = buf.readUInt16LE(at + SEGMENT_HEADER_LEN - 2);
  if ((crc32(buf.subarray(at, at + SEGMENT_HEADER_LEN - 2)) & 0xffff) !== crc) return undefined;
  return { seq: buf.readUInt32LE(at + 20), startTime: buf.readDoubleLE(at + 24) };
}

/** Where candidate segment headers may start in `buf` (the 4 magic bytes). */
export function findMagic(buf: Buffer, from: number): number {
  return buf.indexOf(MAGIC, from);
}

/** gzip trailer: CRC32 and length (mod 2^32) of the uncompressed data. */
export function segmentTrailer(crc: number, size: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(crc >>> 0, 0);
  b.writeUInt32LE(size >>> 0, 4);
  return b;
}

/**
 * Inflates one segment's bytes (header included) as far as they go. A segment cut short yields
 * what its complete chunks hold; `complete` says whether the deflate stream and trailer were whole.
 */
export function inflateSegment(bytes: Buffer): { text: string; complete: boolean } {
  const body = bytes.subarray(SEGMENT_HEADER_LEN);
  let out: Buffer;
  let complete = true;
  try {
    out = inflateRawSync(body);
  } catch {
    complete = false;
    // A cut stream: take what inflates, up to the cut.
    try {
      out = inflateRawSync(body, { finishFlush: zc.Z_SYNC_FLUSH });
    } catch {
      out = Buffer.alloc(0);
    }
  }
  return { text: out.toString('utf8'), complete };
}

/** Splits inflated text into records; stops at the first line that is cut or not JSON. */
export function parseLines(text: string): { records: RecordLine[]; cut: boolean } {
  const records: RecordLine[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) return { records, cut: start < text.length };
    const line = text.slice(start, nl);
    start = nl + 1;
    if (!line) continue;
    try {
      records.push(JSON.parse(line) as RecordLine);
    } catch {
      return { records, cut: true };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Records. Every line has `k` (its kind) and `t` (ms since the epoch, the main process's clock).

export interface SourceDescription {
  mode: 'etcd' | 'kube' | 'demo' | 'audit';
  /** Endpoint list, context name or demo etcd: never a credential. */
  target: string;
  /** etcd server version or the cluster's gitVersion. */
  version?: string;
  supportsRequestWatchProgress?: boolean;
}

/** First line of every segment, so that any segment read alone says what it is. */
export interface HeaderRecord {
  k: 'header';
  t: number;
  format: typeof FORMAT_NAME;
  formatVersion: number;
  watchscope: string;
  /** When recording started. */
  startedAt: number;
  /** This segment's sequence number (0 for the first; gaps mean dropped segments). */
  segment: number;
  profile: string;
  source: SourceDescription;
  resources: string[];
  /** Whether objects' values are in `event`/`list` records (--record-values). */
  values: boolean;
  limit: { bytes: number; onLimit: OnLimit };
}

export type OnLimit = 'dropOldest' | 'stop';

/** Second line of every segment: the bounded view state at the segment's start (a keyframe). */
export interface StateRecord {
  k: 'state';
  t: number;
  profile: string;
  connection: ConnectionState;
  caches: CacheInfo[];
  watchers: WatcherInfo[];
  watchersTotal: number;
  closedWatchers: WatcherInfo[];
  freshness: Record<string, FreshnessPoint[]>;
  /** The most recent decisions (newest last), for the request log after a seek. */
  decisions: Decision[];
  workload?: Snapshot['workload'];
  clusterMetrics?: ClusterMetrics;
}

/** One telemetry snapshot's state (the watchers' buffer fill over time, freshness samples). */
export interface TickRecord {
  k: 'tick';
  t: number;
  profile: string;
  caches: CacheInfo[];
  watchers: WatcherInfo[];
  watchersTotal: number;
  /** Only when it changed since the previous tick. */
  connection?: ConnectionState;
  workload?: Snapshot['workload'];
  /** Only when a new scrape arrived. */
  clusterMetrics?: ClusterMetrics;
}

export interface WatcherOpenedRecord {
  k: 'opened';
  t: number;
  watcher: WatcherInfo;
}

export interface WatcherClosedRecord {
  k: 'closed';
  t: number;
  watcher: WatcherInfo;
}

export interface DecisionRecord {
  k: 'decision';
  t: number;
  d: Decision;
}

/** An object as the cacher saw it: its key, resourceVersion and a hash of its value. */
export interface RecordedObject {
  key: string;
  rv: number;
  /** Bytes of the stored value. */
  size: number;
  /** First 16 hex digits of SHA-256 over the value as stored (its JSON). */
  hash: string;
  /** The value, only with --record-values (Secret data redacted even then). */
  value?: unknown;
}

/** An etcd event a cacher ingested. */
export interface EventRecord {
  k: 'event';
  t: number;
  /** The watched prefix (one per cacher), e.g. /registry/pods/. */
  prefix: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  rv: number;
  object: RecordedObject;
  /** The previous value's RV, when etcd sent it. */
  prevRv?: number;
}

/** A cacher's (re)list: the state its watch then continues from. */
export interface ListRecord {
  k: 'list';
  t: number;
  prefix: string;
  rv: number;
  items: RecordedObject[];
  /** Set when the items were capped (the recording keeps lists bounded). */
  truncated?: number;
  /**
   * The cache's contents when recording started mid-session (read from the cacher, not etcd);
   * events at or below `rv` that follow it are already included.
   */
  initial?: boolean;
}

/** A progress notification: the cacher's source confirmed everything up to rv. */
export interface ProgressRecord {
  k: 'progress';
  t: number;
  prefix: string;
  rv: number;
}

/** The end of a recording that stopped in an orderly way (a crash leaves none). */
export interface EndRecord {
  k: 'end';
  t: number;
  reason: string;
}

export type RecordLine =
  | HeaderRecord
  | StateRecord
  | TickRecord
  | WatcherOpenedRecord
  | WatcherClosedRecord
  | DecisionRecord
  | EventRecord
  | ListRecord
  | ProgressRecord
  | EndRecord;
