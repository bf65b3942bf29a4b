// The side-by-side bench's watch client reads its HTTP/1.1 response by hand: node:http's parser,
// IncomingMessage and stream machinery per chunk cost more than the scan the bench needs, and at
// 100 watchers × 1000 events/s that cost made the client, not the server, the bottleneck. This is
// the byte-level part, free of sockets so it can be fed a stream split at every offset: the status
// line and headers, then a chunked (or identity) body cut into newline-terminated lines, which is
// how both servers frame watch events.

const CR = 13;
const NL = 10;
const HEAD_END = Buffer.from('\r\n\r\n');
const STAMP = Buffer.from('"stamp":"');
const BOOKMARK = Buffer.from('"type":"BOOKMARK"');
/** Longest head or chunk-size line accepted: anything longer is not an HTTP response we understand. */
const MAX_LINE = 64 * 1024;

export interface WatchLineSink {
  /** A complete line of the body (without its newline); the buffer is only valid during the call. */
  line(line: Buffer): void;
}

/** A malformed response: the client reports it rather than guessing. */
export class WatchStreamError extends Error {}

/**
 * Parses one HTTP/1.1 response pushed to it in arbitrary pieces. `status` and `headers` are set once
 * the head is complete; `ended` once the body is (the terminating chunk, Content-Length reached, or
 * `close()` for a body that runs until the connection ends).
 */
export class WatchResponseParser {
  status = 0;
  headers = new Map<string, string>();
  ended = false;
  private state: 'head' | 'size' | 'data' | 'data-end' | 'trailer' | 'identity' | 'done' = 'head';
  private pending: Buffer | undefined;
  /** Bytes left in the current chunk, or of a Content-Length body. */
  private left = 0;
  /** The body's unfinished last line. */
  private carry: Buffer | undefined;

  constructor(private readonly sink: WatchLineSink) {}

  push(input: Buffer): void {
    let buf = input;
    if (this.pending) {
      buf = Buffer.concat([this.pending, input]);
      this.pending = undefined;
    }
    let at = 0;
    while (at < buf.length && this.state !== 'done') {
      switch (this.state) {
        case 'head': {
          const end = buf.indexOf(HEAD_END, at);
          if (end < 0) return this.keep(buf, at);
          this.head(buf.toString('latin1', at, end));
          at = end + 4;
          break;
        }
        case 'size':
        case 'trailer': {
          const nl = buf.indexOf(NL, at);
          if (nl < 0) return this.keep(buf, at);
          const text = buf.toString('latin1', at, nl > at && buf[nl - 1] === CR ? nl - 1 : nl);
          at = nl + 1;
          if (this.state === 'trailer') {
            if (text === '') this.finish();
            break;
          }
          const hex = text.split(';', 1)[0]!.trim();
          if (!/^[0-9a-fA-F]+$/.test(hex)) throw new WatchStreamError(`bad chunk size line ${JSON.stringify(text.slice(0, 40))}`);
          this.left = parseInt(hex, 16);
          this.state = this.left === 0 ? 'trailer' : 'data';
          break;
        }
        case 'data':
        case 'identity': {
          const n = this.state === 'identity' && this.left < 0 ? buf.length - at : Math.min(this.left, buf.length - at);
          this.body(buf.subarray(at, at + n));
          at += n;
          if (this.state === 'identity') {
            if (this.left >= 0 && (this.left -= n) === 0) this.finish();
          } else if ((this.left -= n) === 0) this.state = 'data-end';
          break;
        }
        case 'data-end': {
          // The CRLF after a chunk's data; it may arrive split across pieces.
          const c = buf[at]!;
          if (c === CR) at++;
          else if (c === NL) {
            at++;
            this.state = 'size';
          } else throw new WatchStreamError('chunk data not followed by CRLF');
          break;
        }
      }
    }
  }

  /** The connection ended: a body without a length ends here; anything else ended early. */
  close(): void {
    if (this.state === 'identity' && this.left < 0) this.finish();
  }

  private keep(buf: Buffer, at: number): void {
    if (buf.length - at > MAX_LINE) throw new WatchStreamError(`no line end in ${MAX_LINE} bytes while reading the ${this.state === 'head' ? 'response head' : 'chunk size'}`);
    this.pending = Buffer.from(buf.subarray(at));
  }

  private head(text: string): void {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (!m) throw new WatchStreamError(`not an HTTP/1.x response: ${JSON.stringify(lines[0]!.slice(0, 60))}`);
    this.status = Number(m[1]);
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      if (c > 0) this.headers.set(l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim());
    }
    if (/\bchunked\b/i.test(this.headers.get('transfer-encoding') ?? '')) this.state = 'size';
    else {
      const length = this.headers.get('content-length');
      this.left = length === undefined ? -1 : Number(length);
      this.state = 'identity';
      if (this.left === 0) this.finish();
    }
  }

  private body(seg: Buffer): void {
    let from = 0;
    if (this.carry) {
      const nl = seg.indexOf(NL);
      if (nl < 0) {
        this.carry = Buffer.concat([this.carry, seg]);
        return;
      }
      const line = Buffer.concat([this.carry, seg.subarray(0, nl)]);
      this.carry = undefined;
      this.sink.line(line);
      from = nl + 1;
    }
    for (let nl = seg.indexOf(NL, from); nl >= 0; nl = seg.indexOf(NL, from)) {
      this.sink.line(seg.subarray(from, nl));
      from = nl + 1;
    }
    // Copied: a line is short, and a view would pin the whole piece it came in.
    if (from < seg.length) this.carry = Buffer.from(seg.subarray(from));
  }

  private finish(): void {
    if (this.carry?.length) {
      const rest = this.carry;
      this.carry = undefined;
      this.sink.line(rest);
    }
    this.state = 'done';
    this.ended = true;
  }
}

/** A bookmark is not one of the events a watcher waits for. */
export const isBookmark = (line: Buffer) => line.subarray(0, 32).indexOf(BOOKMARK) >= 0;

/**
 * The writer's wall-clock stamp in an event line (`"stamp":"1733250000000.123"`, as
 * stampedConfigMap writes it), read from the bytes without making a string; NaN when absent.
 */
export function readStamp(line: Buffer): number {
  const i = line.indexOf(STAMP);
  if (i < 0) return NaN;
  let whole = 0;
  let frac = 0;
  let scale = 1;
  let dot = false;
  let digits = 0;
  for (let p = i + STAMP.length; p < line.length; p++) {
    const c = line[p]!;
    if (c === 34) return digits ? whole + frac / scale : NaN;
    if (c === 46 && !dot) dot = true;
    else if (c >= 48 && c <= 57) {
      digits++;
      if (dot) {
        frac = frac * 10 + (c - 48);
        scale *= 10;
      } else whole = whole * 10 + (c - 48);
    } else return NaN;
  }
  return NaN;
}
