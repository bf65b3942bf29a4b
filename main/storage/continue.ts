// The LIST continue token, byte-compatible with kube-apiserver's (k8s.io/apiserver
// pkg/storage/continue.go): base64 RawURL (no padding) of the JSON object
//   {"v":"meta.k8s.io/v1","rv":<int64>,"start":"<start>"}
//
// What `start` holds: the key to resume from, *relative to the collection's key prefix*. The
// collection key prefix is the recursive list key with its trailing '/', e.g. `/registry/pods/`
// for all namespaces or `/registry/pods/default/` for one namespace. A page that ends at key
// `/registry/pods/default/web-1` produces start `default/web-1\u0000` (all namespaces): the last
// returned key's suffix plus one NUL byte, i.e. the smallest key strictly after it, so the next
// range read starts exactly after the last item (PrepareContinueToken appends "\x00").
//
// Upstream's watch cache builds its tokens against the resource prefix *without* the trailing
// '/', so cache-made tokens carry a leading '/' (`/default/web-1\u0000`) while etcd-made ones do
// not. Decoding treats both the same: a leading '/' is added if missing, the path is cleaned,
// and the result is appended to the key prefix (DecodeContinue), which is why both forms work
// against either server.
//
// rv > 0: the page must be read at exactly that revision. rv < 0 (upstream writes -1): "continue
// at the latest revision", emitted when the original revision was compacted
// (etcd3 store, "inconsistent continue"). rv == 0 is rejected.

import { goJSONSyntaxError } from './go_json_scanner.js';

export const continueTokenAPIVersion = 'meta.k8s.io/v1';

/** The errors of DecodeContinue; `message` is upstream's text. */
export class ContinueTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContinueTokenError';
  }
}

const errGenericInvalidKey = 'continue key is not valid';
const errInvalidStartRV = 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)';
const errEmptyStartKey = 'continue key is not valid: encoded start key empty (version meta.k8s.io/v1)';
const errUnrecognizedEncodedVersion = 'continue key is not valid: server does not recognize this encoded version';

export interface DecodedContinue {
  /** The token's revision: > 0 exact, < 0 "latest". Never 0. */
  rv: number;
  /**
   * The cleaned start, relative to the collection key prefix, without a leading '/'
   * (e.g. `default/web-1\u0000`).
   */
  start: string;
  /** keyPrefix + start: the absolute key to resume from (inclusive). */
  key: string;
}

/**
 * Upstream EncodeContinue: `key` is the absolute key to resume from (usually the last returned
 * key + "\x00"), `keyPrefix` the collection prefix it must start with.
 */
export function encodeContinueFromKey(key: string, keyPrefix: string, rv: number): string {
  if (!key.startsWith(keyPrefix)) {
    throw new ContinueTokenError('unable to encode next field: the key and key prefix do not match');
  }
  return encodeContinue(rv, key.slice(keyPrefix.length));
}

/** Token for the page after `lastKey` (upstream PrepareContinueToken, which appends "\x00"). */
export function prepareContinueToken(lastKey: string, keyPrefix: string, rv: number): string {
  return encodeContinueFromKey(lastKey + '\u0000', keyPrefix, rv);
}

/**
 * Encodes a token from its parts. `start` is relative to the collection key prefix (see the top
 * of this file); callers normally pass `lastKeySuffix + '\u0000'`.
 */
export function encodeContinue(rv: number, start: string): string {
  if (!Number.isSafeInteger(rv)) throw new ContinueTokenError(`continue resourceVersion must be an integer, got ${rv}`);
  const json = `{"v":${goJSONString(continueTokenAPIVersion)},"rv":${rv},"start":${goJSONString(start)}}`;
  return Buffer.from(json, 'utf8').toString('base64url');
}

/**
 * Upstream DecodeContinue. Throws ContinueTokenError with upstream's message; the storage layer
 * wraps it as 400 `invalid continue token: <message>`.
 */
export function decodeContinue(token: string, keyPrefix = ''): DecodedContinue {
  const bytes = decodeRawURLBase64(token);
  const parsed = parseToken(bytes);
  if (parsed.v !== continueTokenAPIVersion) {
    throw new ContinueTokenError(`${errUnrecognizedEncodedVersion} ${parsed.v}`);
  }
  if (parsed.rv === 0) throw new ContinueTokenError(errInvalidStartRV);
  if (parsed.start.length === 0) throw new ContinueTokenError(errEmptyStartKey);
  // Path-traversal defence (upstream): the start may not climb above the key prefix, so any
  // start that path cleaning would change ('..', '.', '//', a trailing '/') is refused.
  const key = parsed.start.startsWith('/') ? parsed.start : '/' + parsed.start;
  const cleaned = cleanPath(key);
  if (cleaned !== key) throw new ContinueTokenError(`${errGenericInvalidKey}: ${parsed.start}`);
  const start = cleaned.slice(1);
  return { rv: parsed.rv, start, key: keyPrefix + start };
}

// --- Go-compatible pieces -----------------------------------------------------------------

const URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * base64.RawURLEncoding.DecodeString: only the URL alphabet, no padding; Go skips '\r' and
 * '\n'. Errors read like Go's CorruptInputError.
 */
function decodeRawURLBase64(s: string): Buffer {
  let clean = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\r' || c === '\n') continue;
    if (!URL_ALPHABET.includes(c)) throw new ContinueTokenError(`${errGenericInvalidKey}: illegal base64 data at input byte ${i}`);
    clean += c;
  }
  if (clean.length % 4 === 1) {
    throw new ContinueTokenError(`${errGenericInvalidKey}: illegal base64 data at input byte ${s.length - 1}`);
  }
  return Buffer.from(clean, 'base64url');
}

interface RawToken {
  v: string;
  rv: number;
  start: string;
}

/** json.Unmarshal into continueToken{v string, rv int64, start string}, with Go's messages. */
function parseToken(bytes: Buffer): RawToken {
  // Go checks the syntax on the bytes first (checkValid), so its message names the first bad byte.
  const syntax = goJSONSyntaxError(bytes);
  if (syntax !== undefined) throw new ContinueTokenError(`${errGenericInvalidKey}: ${syntax}`);
  const value: unknown = JSON.parse(bytes.toString('utf8'));
  const out: RawToken = { v: '', rv: 0, start: '' };
  if (value === null) return out; // Go: unmarshalling null into a struct is a no-op
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ContinueTokenError(
      `${errGenericInvalidKey}: json: cannot unmarshal ${goJSONKind(value)} into Go value of type storage.continueToken`,
    );
  }
  // Go matches field names exactly first, then case-insensitively.
  const obj = value as Record<string, unknown>;
  const pick = (name: string): unknown => {
    if (name in obj) return obj[name];
    const k = Object.keys(obj).find((key) => key.toLowerCase() === name);
    return k === undefined ? undefined : obj[k];
  };
  const field = (name: string, want: 'string' | 'int64'): unknown => {
    const x = pick(name);
    if (x === undefined || x === null) return undefined;
    if (want === 'string' && typeof x !== 'string') throw mismatch(x, name, 'string');
    if (want === 'int64' && (typeof x !== 'number' || !Number.isInteger(x))) throw mismatch(x, name, 'int64');
    return x;
  };
  const v = field('v', 'string');
  const rv = field('rv', 'int64');
  const start = field('start', 'string');
  if (typeof v === 'string') out.v = v;
  if (typeof rv === 'number') out.rv = rv;
  if (typeof start === 'string') out.start = start;
  return out;
}

function mismatch(x: unknown, field: string, type: string): ContinueTokenError {
  const kind = typeof x === 'number' ? `number ${x}` : goJSONKind(x);
  return new ContinueTokenError(
    `${errGenericInvalidKey}: json: cannot unmarshal ${kind} into Go struct field continueToken.${field} of type ${type}`,
  );
}

function goJSONKind(x: unknown): string {
  if (Array.isArray(x)) return 'array';
  if (x === null) return 'null';
  if (typeof x === 'object') return 'object';
  if (typeof x === 'boolean') return 'bool';
  return typeof x; // 'string' | 'number'
}

/** encoding/json string escaping: like JSON.stringify plus Go's HTML-safe escapes. */
function goJSONString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Go's path.Clean (lexical: '.', '..', repeated and trailing slashes). */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}
