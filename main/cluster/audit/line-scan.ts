// An audit log line read straight from its bytes: the whole line is checked against JSON's grammar
// (what JSON.parse would refuse, this refuses), but only the fields an audit event is read for are
// turned into values — the request body, annotations, groups and IPs are stepped over without
// building a string or an object. The result is the object JSON.parse would give with every other
// field left out, so the event's checks stay in one place (toAuditEvent). A line it refuses, or
// cannot vouch for (an escaped key, nesting deeper than it follows), gives undefined, and the
// caller parses it the ordinary way, which also words the error.

/** Which fields to keep: `true` keeps the whole value, a nested spec keeps an object's fields. */
type Keep = { readonly [field: string]: true | Keep };

const NAME_ONLY: Keep = { username: true };

/** The fields toAuditEvent reads. */
export const AUDIT_EVENT_FIELDS: Keep = {
  kind: true,
  apiVersion: true,
  auditID: true,
  stage: true,
  level: true,
  verb: true,
  requestURI: true,
  userAgent: true,
  requestReceivedTimestamp: true,
  stageTimestamp: true,
  user: NAME_ONLY,
  impersonatedUser: NAME_ONLY,
  responseStatus: { code: true },
  objectRef: { resource: true, namespace: true, name: true, apiGroup: true, subresource: true },
};

/** Nesting followed by the skipper before it gives up (JSON.parse then decides). */
const MAX_DEPTH = 512;

/** Keys are matched as bytes; a key is looked up only when it has the length of a wanted one. */
interface Matcher {
  keys: { bytes: Buffer; name: string; keep: true | Matcher }[];
  lengths: Set<number>;
}

const matchers = new WeakMap<Keep, Matcher>();
function matcherOf(keep: Keep): Matcher {
  let m = matchers.get(keep);
  if (!m) {
    m = { keys: [], lengths: new Set() };
    for (const [name, k] of Object.entries(keep)) {
      const bytes = Buffer.from(name, 'utf8');
      m.keys.push({ bytes, name, keep: k === true ? true : matcherOf(k) });
      m.lengths.add(bytes.length);
    }
    matchers.set(keep, m);
  }
  return m;
}

/**
 * Bytes [start, end) of `buf` as the object JSON.parse would return for them, keeping only the
 * fields `keep` names (a nested spec prunes a nested object the same way; a kept field that is
 * not an object is returned whole). Undefined when they are not a JSON object, or when the scanner
 * cannot be sure.
 */
export function scanObject(buf: Buffer, start: number, end: number, keep: Keep = AUDIT_EVENT_FIELDS): Record<string, unknown> | undefined {
  const s = new Scanner(buf, end);
  try {
    s.pos = start;
    s.ws();
    if (s.pos >= end || buf[s.pos] !== 0x7b) return undefined;
    const v = s.object(matcherOf(keep), 0);
    s.ws();
    return s.pos === end ? v : undefined;
  } catch (e) {
    // RangeError: a stack overflow on absurd nesting.
    if (e === UNSURE || e === INVALID || e instanceof RangeError) return undefined;
    throw e;
  }
}

class Unsure extends Error {}
/** Thrown (one shared instance, no stack to capture) to abandon the scan. */
const UNSURE = new Unsure();
const INVALID = new Unsure();

class Scanner {
  pos = 0;
  constructor(
    readonly b: Buffer,
    readonly end: number,
  ) {}

  ws(): void {
    const b = this.b;
    let i = this.pos;
    while (i < this.end) {
      const c = b[i]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i++;
    }
    this.pos = i;
  }

  expect(c: number): void {
    if (this.pos >= this.end || this.b[this.pos] !== c) throw INVALID;
    this.pos++;
  }

  /** An object at pos, pruned to the matcher's fields. */
  object(m: Matcher, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const b = this.b;
    this.pos++; // {
    this.ws();
    if (this.pos < this.end && b[this.pos] === 0x7d) {
      this.pos++;
      return out;
    }
    for (;;) {
      if (this.pos >= this.end || b[this.pos] !== 0x22) throw INVALID;
      const keyStart = this.pos + 1;
      const escaped = this.skipString();
      const keyEnd = this.pos - 1;
      // An escaped key may spell a wanted one: only JSON.parse can say.
      if (escaped) throw UNSURE;
      this.ws();
      this.expect(0x3a);
      this.ws();
      const want = m.lengths.has(keyEnd - keyStart) ? this.lookup(m, keyStart, keyEnd) : undefined;
      if (want === undefined) this.skipValue(depth + 1);
      else if (want.keep === true || b[this.pos] !== 0x7b) out[want.name] = this.value(depth + 1);
      else out[want.name] = this.object(want.keep, depth + 1);
      this.ws();
      if (this.pos >= this.end) throw INVALID;
      const c = b[this.pos++];
      if (c === 0x7d) return out;
      if (c !== 0x2c) throw INVALID;
      this.ws();
    }
  }

  lookup(m: Matcher, a: number, z: number): Matcher['keys'][number] | undefined {
    const b = this.b;
    const n = z - a;
    next: for (const k of m.keys) {
      if (k.bytes.length !== n) continue;
      for (let i = 0; i < n; i++) if (b[a + i] !== k.bytes[i]) continue next;
      return k;
    }
    return undefined;
  }

  /** A kept value, whole: strings are decoded here, anything else by JSON.parse of its bytes. */
  value(depth: number): unknown {
    const a = this.pos;
    if (this.b[a] === 0x22) {
      const escaped = this.skipString();
      if (!escaped) return this.b.toString('utf8', a + 1, this.pos - 1);
      return JSON.parse(this.b.toString('utf8', a, this.pos)) as unknown;
    }
    this.skipValue(depth);
    return JSON.parse(this.b.toString('utf8', a, this.pos)) as unknown;
  }

  /** Steps over a string at pos (its opening quote); says whether it held an escape. */
  skipString(): boolean {
    const b = this.b;
    const end = this.end;
    let i = this.pos + 1;
    let escaped = false;
    for (;;) {
      if (i >= end) throw INVALID;
      const c = b[i]!;
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        if (i + 1 >= end) throw INVALID;
        const e = b[i + 1]!;
        if (e === 0x75) {
          if (i + 5 >= end) throw INVALID;
          for (let k = 2; k < 6; k++) if (!isHex(b[i + k]!)) throw INVALID;
          i += 6;
          continue;
        }
        if (e !== 0x22 && e !== 0x5c && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) throw INVALID;
        i += 2;
        continue;
      }
      if (c < 0x20) throw INVALID;
      i++;
    }
    this.pos = i + 1;
    return escaped;
  }

  skipValue(depth: number): void {
    if (this.pos >= this.end) throw INVALID;
    const b = this.b;
    const c = b[this.pos]!;
    if (c === 0x22) {
      this.skipString();
      return;
    }
    if (c === 0x7b || c === 0x5b) {
      if (depth > MAX_DEPTH) throw UNSURE;
      const close = c === 0x7b ? 0x7d : 0x5d;
      this.pos++;
      this.ws();
      if (this.pos < this.end && b[this.pos] === close) {
        this.pos++;
        return;
      }
      for (;;) {
        if (c === 0x7b) {
          if (this.pos >= this.end || b[this.pos] !== 0x22) throw INVALID;
          this.skipString();
          this.ws();
          this.expect(0x3a);
          this.ws();
        }
        this.skipValue(depth + 1);
        this.ws();
        if (this.pos >= this.end) throw INVALID;
        const d = b[this.pos++];
        if (d === close) return;
        if (d !== 0x2c) throw INVALID;
        this.ws();
      }
    }
    if (c === 0x74) return this.literal(TRUE);
    if (c === 0x66) return this.literal(FALSE);
    if (c === 0x6e) return this.literal(NULL);
    this.number();
  }

  literal(word: Buffer): void {
    if (this.pos + word.length > this.end) throw INVALID;
    for (let i = 0; i < word.length; i++) if (this.b[this.pos + i] !== word[i]) throw INVALID;
    this.pos += word.length;
  }

  /** -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
  number(): void {
    const b = this.b;
    const end = this.end;
    let i = this.pos;
    if (b[i] === 0x2d) i++;
    if (i >= end) throw INVALID;
    if (b[i] === 0x30) i++;
    else if (isDigit(b[i]!) && b[i] !== 0x30) while (i < end && isDigit(b[i]!)) i++;
    else throw INVALID;
    if (i < end && b[i] === 0x2e) {
      i++;
      if (i >= end || !isDigit(b[i]!)) throw INVALID;
      while (i < end && isDigit(b[i]!)) i++;
    }
    if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
      i++;
      if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
      if (i >= end || !isDigit(b[i]!)) throw INVALID;
      while (i < end && isDigit(b[i]!)) i++;
    }
    this.pos = i;
  }
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
