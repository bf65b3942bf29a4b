// One kube-apiserver audit event (audit.k8s.io/v1 Event, as --audit-log-path writes one per line
// and the webhook backend posts in an EventList), checked field by field: an audit log is input
// we do not control, so anything that is not a v1 request event is classified, never thrown.

import { scanObject } from './line-scan.js';

export const AUDIT_API_VERSION = 'audit.k8s.io/v1';

export type AuditStage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';

export interface AuditEvent {
  auditID: string;
  stage: AuditStage;
  level: string;
  verb: string;
  requestURI: string;
  user: string;
  userAgent: string;
  /** responseStatus.code; absent before the response (RequestReceived) and at Metadata level for some errors. */
  code?: number;
  requestReceivedMs?: number;
  stageMs?: number;
  objectRef?: { resource?: string; namespace?: string; name?: string; apiGroup?: string; subresource?: string };
}

/** Why a line or object was not taken as an audit event. */
export type BadInputKind =
  | 'notJSON'
  | 'notAuditEvent'
  | 'unknownApiVersion'
  | 'noRequestURI'
  | 'badRequestURI'
  | 'lineTooLong'
  | 'truncatedGzip'
  | 'unreadable';

export const badInputText: Readonly<Record<BadInputKind, string>> = {
  notJSON: 'a line that is not a JSON object',
  notAuditEvent: 'JSON that is not an audit Event (kind is not "Event")',
  unknownApiVersion: `an audit event whose apiVersion is not ${AUDIT_API_VERSION}`,
  noRequestURI: 'an audit event without requestURI (its policy level or export dropped it), so it cannot be routed',
  badRequestURI: 'an audit event whose requestURI is not a valid URL path (malformed percent-encoding), so it cannot be routed',
  lineTooLong: 'a line longer than the reader accepts (kept out of memory, skipped)',
  truncatedGzip: 'a gzip stream that ends before its trailer (the file was cut short)',
  unreadable: 'a file that could not be read',
};

export type ParsedEvent = { ok: true; event: AuditEvent } | { ok: false; kind: BadInputKind; message: string };

const STAGES = new Set<string>(['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic']);

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function timeMs(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = rfc3339Ms(v) ?? Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

const digits = (s: string, at: number, n: number): number => {
  let x = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    x = x * 10 + c;
  }
  return x;
};

/**
 * The common shape of an audit timestamp, "2026-12-03T08:00:00.001881Z" (Go's RFC 3339 with
 * microseconds), read without Date.parse: two per event add up over gigabytes. The same
 * milliseconds Date.parse gives (the fraction cut to milliseconds); undefined for any other shape.
 */
export function rfc3339Ms(s: string): number | undefined {
  const n = s.length;
  if (n < 20 || s.charCodeAt(n - 1) !== 90 /* Z */) return undefined;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return undefined;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  const sec = digits(s, 17, 2);
  // Days past the 28th differ per month: Date.parse knows them.
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 28 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return undefined;
  let ms = 0;
  if (n > 20) {
    const frac = n - 21;
    if (s.charCodeAt(19) !== 46 /* . */ || frac < 1 || frac > 9) return undefined;
    const f = digits(s, 20, frac);
    if (f < 0) return undefined;
    ms = frac >= 3 ? Math.floor(f / 10 ** (frac - 3)) : f * 10 ** (3 - frac);
  }
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms);
}

/**
 * Classifies one decoded JSON value: a log line's object, or (`inList`) one item of a webhook
 * EventList, whose items carry no kind/apiVersion of their own (the list's apply).
 */
export function toAuditEvent(v: unknown, inList = false): ParsedEvent {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, kind: 'notJSON', message: 'not a JSON object' };
  const o = v as Record<string, unknown>;
  if (inList) {
    if (o.kind !== undefined && o.kind !== 'Event') return { ok: false, kind: 'notAuditEvent', message: `item kind is ${JSON.stringify(o.kind)}, not "Event"` };
  } else if (o.kind !== 'Event') return { ok: false, kind: 'notAuditEvent', message: `kind is ${JSON.stringify(o.kind ?? null)}, not "Event"` };
  if (!inList && o.apiVersion !== AUDIT_API_VERSION) {
    return { ok: false, kind: 'unknownApiVersion', message: `apiVersion ${JSON.stringify(o.apiVersion ?? null)} (this reader knows ${AUDIT_API_VERSION})` };
  }
  const requestURI = str(o.requestURI);
  if (!requestURI) return { ok: false, kind: 'noRequestURI', message: `event ${str(o.auditID) ?? '?'} (level ${str(o.level) ?? '?'}) has no requestURI` };
  const stage = str(o.stage);
  if (!stage || !STAGES.has(stage)) return { ok: false, kind: 'notAuditEvent', message: `unknown stage ${JSON.stringify(o.stage ?? null)}` };
  const user = (o.user ?? {}) as Record<string, unknown>;
  const impersonated = o.impersonatedUser as Record<string, unknown> | undefined;
  const status = o.responseStatus as Record<string, unknown> | undefined;
  const ref = o.objectRef as Record<string, unknown> | undefined;
  const ev: AuditEvent = {
    auditID: str(o.auditID) ?? '',
    stage: stage as AuditStage,
    level: str(o.level) ?? '',
    verb: str(o.verb) ?? '',
    requestURI,
    // The identity the request acted as: an impersonated user is the client that costs the load.
    user: str(impersonated?.username) ?? str(user.username) ?? '',
    userAgent: str(o.userAgent) ?? '',
  };
  if (typeof status?.code === 'number') ev.code = status.code;
  const rr = timeMs(o.requestReceivedTimestamp);
  if (rr !== undefined) ev.requestReceivedMs = rr;
  const st = timeMs(o.stageTimestamp);
  if (st !== undefined) ev.stageMs = st;
  if (ref && typeof ref === 'object') {
    ev.objectRef = {};
    for (const k of ['resource', 'namespace', 'name', 'apiGroup', 'subresource'] as const) {
      const s = str(ref[k]);
      if (s) ev.objectRef[k] = s;
    }
  }
  return { ok: true, event: ev };
}

/**
 * One line of an audit log file read from its bytes, pruned as it is scanned; undefined when the
 * line is not plainly a JSON object (blank, bad, or unusual), for parseAuditLine to decide.
 */
export function parseAuditBytes(buf: Buffer, start: number, end: number): ParsedEvent | undefined {
  const v = scanObject(buf, start, end);
  return v === undefined ? undefined : toAuditEvent(v);
}

/** One line of an audit log file. */
export function parseAuditLine(line: string): ParsedEvent {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { ok: false, kind: 'notJSON', message: 'not JSON' };
  }
  return toAuditEvent(v);
}
