// The Watch stream's responses decoded straight from the wire bytes into the shape the generic
// loader gives (defaults filled, int64 as numbers, enums as names), without its reflective
// decode-then-convert pass: every event etcd sends the cacher goes through here, and the
// two-step decode was a tenth of the server's CPU while a writer saturates etcd. Keys and values
// are views into the message's buffer, not copies.
import type { KeyValue, ResponseHeader, WatchEventPB, WatchResponse } from './client.js';

const EVENT_TYPES = ['PUT', 'DELETE'] as const;

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new Error('watch response truncated');
    return this.buf[this.pos++]!;
  }

  /** A varint as an unsigned 32-bit number (tags, lengths, enums, bools). */
  uint32(): number {
    let b = this.byte();
    if (b < 0x80) return b;
    let v = b & 0x7f;
    for (let shift = 7; shift < 35; shift += 7) {
      b = this.byte();
      v = (v | ((b & 0x7f) << shift)) >>> 0;
      if (b < 0x80) return v;
    }
    // A negative int32 enum is sign-extended to 10 bytes: skip the rest.
    for (let i = 0; i < 5; i++) if (this.byte() < 0x80) return v;
    throw new Error('watch response: varint too long');
  }

  /** A varint int64/uint64 as a number (two's complement for negatives, as Long#toNumber). */
  int64(unsigned: boolean): number {
    let lo = 0;
    let hi = 0;
    let b = 0;
    let i = 0;
    for (; i < 4; i++) {
      b = this.byte();
      lo = (lo | ((b & 0x7f) << (i * 7))) >>> 0;
      if (b < 0x80) return lo;
    }
    b = this.byte();
    lo = (lo | ((b & 0x7f) << 28)) >>> 0;
    hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      for (i = 0; i < 5; i++) {
        b = this.byte();
        hi = (hi | ((b & 0x7f) << (i * 7 + 3))) >>> 0;
        if (b < 0x80) break;
      }
      if (b >= 0x80) throw new Error('watch response: varint too long');
    }
    if (!unsigned && hi >>> 31) {
      lo = (~lo + 1) >>> 0;
      hi = ~hi >>> 0;
      if (lo === 0) hi = (hi + 1) >>> 0;
      return -(hi * 2 ** 32 + lo);
    }
    return hi * 2 ** 32 + lo;
  }

  /** The end offset of a length-delimited field starting here. */
  lengthDelimited(): number {
    const n = this.uint32();
    const end = this.pos + n;
    if (end > this.end) throw new Error('watch response truncated');
    return end;
  }

  /** A length-delimited field's bytes, as a view of the message (no copy). */
  bytes(): Buffer {
    const e = this.lengthDelimited();
    const b = this.buf.subarray(this.pos, e);
    this.pos = e;
    return b;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.uint32OrLonger();
    else if (wireType === 1) this.advance(8);
    else if (wireType === 2) this.pos = this.lengthDelimited();
    else if (wireType === 5) this.advance(4);
    else throw new Error(`watch response: unsupported wire type ${wireType}`);
  }

  private uint32OrLonger(): void {
    for (let i = 0; i < 10; i++) if (this.byte() < 0x80) return;
    throw new Error('watch response: varint too long');
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new Error('watch response truncated');
    this.pos += n;
  }
}

function header(r: Reader, end: number): ResponseHeader {
  const h: ResponseHeader = { cluster_id: 0, member_id: 0, revision: 0, raft_term: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | 0: h.cluster_id = r.int64(true); break;
      case (2 << 3) | 0: h.member_id = r.int64(true); break;
      case (3 << 3) | 0: h.revision = r.int64(false); break;
      case (4 << 3) | 0: h.raft_term = r.int64(true); break;
      default: r.skip(tag & 7);
    }
  }
  return h;
}

const EMPTY = Buffer.alloc(0);

function keyValue(r: Reader, end: number): KeyValue {
  const kv: KeyValue = { key: EMPTY, create_revision: 0, mod_revision: 0, version: 0, value: EMPTY, lease: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | 2: kv.key = r.bytes(); break;
      case (2 << 3) | 0: kv.create_revision = r.int64(false); break;
      case (3 << 3) | 0: kv.mod_revision = r.int64(false); break;
      case (4 << 3) | 0: kv.version = r.int64(false); break;
      case (5 << 3) | 2: kv.value = r.bytes(); break;
      case (6 << 3) | 0: kv.lease = r.int64(false); break;
      default: r.skip(tag & 7);
    }
  }
  return kv;
}

function event(r: Reader, end: number): WatchEventPB {
  let type = 0;
  let kv: KeyValue | null = null;
  let prev: KeyValue | null = null;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | 0: type = r.uint32(); break;
      case (2 << 3) | 2: { const e = r.lengthDelimited(); kv = keyValue(r, e); break; }
      case (3 << 3) | 2: { const e = r.lengthDelimited(); prev = keyValue(r, e); break; }
      default: r.skip(tag & 7);
    }
  }
  const name = EVENT_TYPES[type];
  if (!name) throw new Error(`watch response: unknown event type ${type}`);
  // etcd always sends kv; were it absent it would be null, as the generic loader makes it.
  return { type: name, kv: kv as KeyValue, prev_kv: prev };
}

/** Decodes one WatchResponse message (the gRPC payload, without its 5-byte frame header). */
export function decodeWatchResponse(buf: Buffer): WatchResponse {
  const r = new Reader(buf, 0, buf.length);
  const resp: WatchResponse = {
    header: null as unknown as ResponseHeader,
    watch_id: 0,
    created: false,
    canceled: false,
    compact_revision: 0,
    cancel_reason: '',
    fragment: false,
    events: [],
  };
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | 2: { const e = r.lengthDelimited(); resp.header = header(r, e); break; }
      case (2 << 3) | 0: resp.watch_id = r.int64(false); break;
      case (3 << 3) | 0: resp.created = r.uint32() !== 0; break;
      case (4 << 3) | 0: resp.canceled = r.uint32() !== 0; break;
      case (5 << 3) | 0: resp.compact_revision = r.int64(false); break;
      case (6 << 3) | 2: { const e = r.lengthDelimited(); resp.cancel_reason = buf.toString('utf8', r.pos, e); r.pos = e; break; }
      case (7 << 3) | 0: resp.fragment = r.uint32() !== 0; break;
      case (11 << 3) | 2: { const e = r.lengthDelimited(); resp.events.push(event(r, e)); break; }
      default: r.skip(tag & 7);
    }
  }
  return resp;
}
