// Opens a recording (format.ts) with bounded memory: one pass over the file's bytes finds every
// segment header (an index of offsets and start times), and a segment is inflated only when it is
// read. A file cut anywhere — by a crash, kill -9, or a truncated copy — opens up to its last
// complete line.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import {
  FORMAT_NAME,
  SEGMENT_HEADER_LEN,
  findMagic,
  inflateSegment,
  parseLines,
  parseSegmentHeader,
  type HeaderRecord,
  type RecordLine,
} from './format.js';

export interface SegmentIndexEntry {
  /** Byte offset of the segment's gzip header. */
  offset: number;
  /** Where the next segment (or the file) begins. */
  end: number;
  seq: number;
  startTime: number;
}

export interface SegmentContent {
  records: RecordLine[];
  /** False when the segment was cut (no final block or trailer, or a line cut short). */
  complete: boolean;
}

const SCAN_CHUNK = 1 << 20;

export class RecordingError extends Error {}

export class RecordingReader {
  readonly segments: SegmentIndexEntry[];
  readonly header: HeaderRecord;
  readonly size: number;
  /** Time of the last complete record. */
  readonly endTime: number;
  /** Whether the recording ended in order (an `end` record) or was cut short. */
  readonly ended: boolean;
  readonly lastSegmentComplete: boolean;
  private fd: number | undefined;

  private constructor(
    readonly file: string,
    fd: number,
  ) {
    this.fd = fd;
    this.size = fstatSync(fd).size;
    this.segments = this.scan();
    if (this.segments.length === 0) throw new RecordingError(`${file} is not a watchscope recording (no segment found)`);
    const first = this.readSegment(0).records[0];
    if (!first || first.k !== 'header' || first.format !== FORMAT_NAME) {
      throw new RecordingError(`${file} is not a watchscope recording (its first line is not a header)`);
    }
    this.header = first;
    // The last segment may be cut short (or hold only a cut header): walk back to one with records.
    let endTime = first.t;
    let ended = false;
    let lastComplete = true;
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const c = this.readSegment(i);
      if (i === this.segments.length - 1) lastComplete = c.complete;
      const last = c.records[c.records.length - 1];
      if (!last) {
        // Nothing usable in a trailing cut segment: forget it.
        if (i === this.segments.length - 1 && i > 0) {
          this.segments.pop();
          continue;
        }
        break;
      }
      endTime = last.t;
      ended = last.k === 'end';
      break;
    }
    this.endTime = endTime;
    this.ended = ended;
    this.lastSegmentComplete = lastComplete;
  }

  static open(file: string): RecordingReader {
    const fd = openSync(file, 'r');
    try {
      return new RecordingReader(file, fd);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  get startTime(): number {
    return this.segments[0]!.startTime;
  }

  /** The segment that holds time `t` (the last one starting at or before it). */
  segmentAt(t: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid]!.startTime <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  readSegment(i: number): SegmentContent {
    const s = this.segments[i];
    if (!s || this.fd === undefined) return { records: [], complete: false };
    const buf = Buffer.alloc(s.end - s.offset);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(this.fd, buf, got, buf.length - got, s.offset + got);
      if (n <= 0) break;
      got += n;
    }
    const { text, complete } = inflateSegment(buf.subarray(0, got));
    const { records, cut } = parseLines(text);
    return { records, complete: complete && !cut };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private scan(): SegmentIndexEntry[] {
    const out: SegmentIndexEntry[] = [];
    const buf = Buffer.alloc(SCAN_CHUNK + SEGMENT_HEADER_LEN);
    // Read overlapping windows so a header straddling two reads is still seen whole.
    for (let base = 0; base < this.size; base += SCAN_CHUNK) {
      const n = readSync(this.fd!, buf, 0, buf.length, base);
      if (n <= 0) break;
      const view = buf.subarray(0, n);
      for (let at = findMagic(view, 0); at >= 0 && at < SCAN_CHUNK; at = findMagic(view, at + 1)) {
        const h = parseSegmentHeader(view, at);
        if (h) out.push({ offset: base + at, end: this.size, seq: h.seq, startTime: h.startTime });
      }
    }
    for (let i = 0; i + 1 < out.length; i++) out[i]!.end = out[i + 1]!.offset;
    return out;
  }
}
