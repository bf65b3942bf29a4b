// Writes a recording file (format.ts): JSON lines into gzip segments, each opened by the lines
// `segmentStart` gives (header and keyframe), flushed in chunks so a crash loses at most the
// chunk being built. The file is bounded: past `maxBytes` the oldest segments are dropped (the
// file is rewritten without them, atomically by rename) or recording stops, as the user chose.
import { closeSync, fstatSync, openSync, readSync, renameSync, writeSync, rmSync } from 'node:fs';
import { crc32, deflateRawSync, constants as zc } from 'node:zlib';
import { SEGMENT_HEADER_LEN, segmentHeader, segmentTrailer, type OnLimit, type RecordLine } from './format.js';

export interface WriterOptions {
  file: string;
  /** Upper bound of the file's size in bytes. */
  maxBytes: number;
  onLimit: OnLimit;
  /** A segment is closed once its compressed size passes this (default: maxBytes/8, 64 KiB..8 MiB). */
  segmentBytes?: number;
  /** ...or once it is this old (default 60 s), so seeking decodes little. */
  segmentMs?: number;
  clock?: () => number;
  /** The lines that open every segment: the header and the state at that moment. */
  segmentStart(seq: number, t: number): RecordLine[];
}

export type WriterState = 'recording' | 'stopped' | 'limitReached';

export interface WriterStatus {
  file: string;
  state: WriterState;
  bytes: number;
  maxBytes: number;
  onLimit: OnLimit;
  segments: number;
  droppedSegments: number;
  records: number;
  startedAt: number;
}

interface SegmentInfo {
  offset: number;
  seq: number;
}

/** Pending lines are compressed and written once they reach this size even between flushes. */
const MAX_PENDING_BYTES = 1 << 20;
/** The final empty block and the gzip trailer that close a segment. */
const SEGMENT_TAIL = 2 + 8;

/**
 * A sync flush ends the chunk on a byte boundary with an empty stored block, so chunks
 * compressed independently concatenate into one valid deflate stream, and a file cut after any
 * chunk inflates up to it.
 */
const compress = (raw: Buffer): Buffer => deflateRawSync(raw, { finishFlush: zc.Z_SYNC_FLUSH });

export class RecordingWriter {
  private fd: number | undefined;
  private readonly segments: SegmentInfo[] = [];
  private seq = 0;
  private segStart = 0;
  private segCrc = 0;
  private segSize = 0;
  private segBytes = 0;
  private fileBytes = 0;
  private pending: string[] = [];
  private pendingBytes = 0;
  private dropped = 0;
  private records = 0;
  private state: WriterState = 'recording';
  private readonly clock: () => number;
  private readonly segmentBytes: number;
  private readonly segmentMs: number;
  readonly startedAt: number;

  constructor(private readonly o: WriterOptions) {
    this.clock = o.clock ?? Date.now;
    this.segmentBytes = o.segmentBytes ?? Math.min(8 << 20, Math.max(16 << 10, Math.floor(o.maxBytes / 8)));
    this.segmentMs = o.segmentMs ?? 60_000;
    this.startedAt = this.clock();
    this.fd = openSync(o.file, 'w+');
    this.openSegment();
  }

  get recording(): boolean {
    return this.state === 'recording';
  }

  status(): WriterStatus {
    return {
      file: this.o.file,
      state: this.state,
      bytes: this.fileBytes,
      maxBytes: this.o.maxBytes,
      onLimit: this.o.onLimit,
      segments: this.segments.length,
      droppedSegments: this.dropped,
      records: this.records,
      startedAt: this.startedAt,
    };
  }

  append(rec: RecordLine): void {
    if (this.state !== 'recording') return;
    const line = `${JSON.stringify(rec)}\n`;
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.records++;
    if (this.pendingBytes >= MAX_PENDING_BYTES) this.flush();
  }

  /** Compresses and writes what is pending as one chunk; starts a new segment when this one is full. */
  flush(): void {
    if (this.state !== 'recording') return;
    this.writeChunk();
    if (this.segBytes >= this.segmentBytes || this.clock() - this.segStart >= this.segmentMs) this.rotate();
  }

  /** Writes `last` (the end record), finishes the segment and closes the file. */
  close(last?: RecordLine): void {
    if (this.fd === undefined) return;
    if (this.state === 'recording' && last) this.append(last);
    if (this.state === 'recording') {
      this.writeChunk();
      this.finishSegment();
      this.state = 'stopped';
    }
    closeSync(this.fd);
    this.fd = undefined;
  }

  private write(b: Buffer): void {
    writeSync(this.fd!, b);
    this.fileBytes += b.length;
    this.segBytes += b.length;
  }

  /** Writes a segment's gzip header and its opening lines (never a segment without them). */
  private openSegment(): void {
    const t = this.clock();
    this.segStart = t;
    this.segCrc = 0;
    this.segSize = 0;
    this.segBytes = 0;
    this.segments.push({ offset: this.fileBytes, seq: this.seq });
    this.write(segmentHeader(this.seq, t));
    const opening = this.o.segmentStart(this.seq, t).map((r) => `${JSON.stringify(r)}\n`);
    this.records += opening.length;
    this.seq++;
    this.writeCompressed(Buffer.from(opening.join(''), 'utf8'));
  }

  private writeCompressed(raw: Buffer, z = compress(raw)): void {
    this.segCrc = crc32(raw, this.segCrc);
    this.segSize += raw.length;
    this.write(z);
  }

  private writeChunk(): void {
    if (this.pending.length === 0) return;
    const raw = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    const z = compress(raw);
    if (this.fileBytes + z.length + SEGMENT_TAIL > this.o.maxBytes) {
      this.finishSegment();
      if (!this.makeRoom(z.length)) return;
      this.openSegment();
    }
    this.writeCompressed(raw, z);
  }

  private finishSegment(): void {
    this.write(deflateRawSync(Buffer.alloc(0))); // final empty block
    this.write(segmentTrailer(this.segCrc, this.segSize));
  }

  /** At the limit: stop, or drop the oldest segments so a new one fits. False once stopped. */
  private makeRoom(next: number): boolean {
    if (this.o.onLimit === 'stop') {
      this.state = 'limitReached';
      return false;
    }
    this.dropOldest(this.o.maxBytes - this.segmentBytes - next - SEGMENT_HEADER_LEN - SEGMENT_TAIL);
    return true;
  }

  private rotate(): void {
    this.finishSegment();
    if (this.fileBytes + SEGMENT_HEADER_LEN + this.segmentBytes + SEGMENT_TAIL > this.o.maxBytes && !this.makeRoom(0)) return;
    this.openSegment();
  }

  /** Rewrites the file without its oldest segments until it is at most `target` bytes. */
  private dropOldest(target: number): void {
    let k = 1;
    while (k < this.segments.length && this.fileBytes - this.segments[k]!.offset > target) k++;
    const keepFrom = k < this.segments.length ? this.segments[k]!.offset : this.fileBytes;
    const tmp = `${this.o.file}.rewrite`;
    const src = this.fd!;
    const dst = openSync(tmp, 'w');
    try {
      const size = fstatSync(src).size;
      const buf = Buffer.alloc(1 << 20);
      for (let pos = keepFrom; pos < size; ) {
        const n = readSync(src, buf, 0, buf.length, pos);
        if (n <= 0) break;
        writeSync(dst, buf, 0, n);
        pos += n;
      }
    } catch (e) {
      closeSync(dst);
      rmSync(tmp, { force: true });
      throw e;
    }
    closeSync(dst);
    closeSync(src);
    renameSync(tmp, this.o.file);
    this.fd = openSync(this.o.file, 'a+');
    const before = this.segments.length;
    const kept = this.segments.filter((s) => s.offset >= keepFrom).map((s) => ({ ...s, offset: s.offset - keepFrom }));
    this.segments.length = 0;
    this.segments.push(...kept);
    this.dropped += before - kept.length;
    this.fileBytes -= keepFrom;
  }
}
