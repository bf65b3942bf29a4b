// The byte scanner against JSON.parse: on every line it either agrees with JSON.parse pruned to
// the audit fields, or steps aside (undefined) — never a different value, never accepting what
// JSON.parse refuses. Hand-picked edge cases, then thousands of random corruptions of real-shaped
// lines.
import { describe, expect, it } from 'vitest';
import { AUDIT_EVENT_FIELDS, scanObject } from './line-scan.js';
import { parseAuditBytes, parseAuditLine, rfc3339Ms } from './event.js';

type Keep = { readonly [k: string]: true | Keep };

/** What the scanner promises: JSON.parse's value with only the kept fields. */
function pruned(v: unknown, keep: Keep): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const want = Object.prototype.hasOwnProperty.call(keep, k) ? keep[k] : undefined;
    if (want === undefined) continue;
    out[k] = want === true ? x : pruned(x, want);
  }
  return out;
}

const scan = (line: string) => {
  const b = Buffer.from(line, 'utf8');
  return scanObject(b, 0, b.length);
};

function reference(line: string): unknown {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'throws';
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? pruned(v, AUDIT_EVENT_FIELDS) : 'not an object';
}

const base = {
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Request',
  auditID: '9c43a8c3-b7cf-43c2-a563-2b92409d3fb6',
  stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb&limit=500',
  verb: 'list',
  user: { username: 'system:serviceaccount:kube-system:replicaset-controller', uid: 'u-1', groups: ['system:serviceaccounts', 'system:authenticated'], extra: { 'authentication.kubernetes.io/pod-name': ['x'] } },
  impersonatedUser: { username: 'alice', groups: ['devs'] },
  sourceIPs: ['10.0.0.1', '::1'],
  userAgent: 'kubectl/v1.36.0 (linux/amd64) kubernetes/a1b2c3d',
  objectRef: { resource: 'pods', namespace: 'default', name: 'web-1', apiGroup: '', apiVersion: 'v1', subresource: 'status', resourceVersion: '12' },
  responseStatus: { metadata: {}, status: 'Failure', message: 'pods "web-1" not found', reason: 'NotFound', details: { name: 'web-1', kind: 'pods' }, code: 404 },
  requestObject: { kind: 'Pod', metadata: { annotations: { note: 'a "quoted" \\ back\nslash', verb: 'get', requestURI: '/fake' } }, spec: { n: [1, -2.5e-3, 0, true, false, null, [], {}] } },
  requestReceivedTimestamp: '2026-12-03T08:00:00.001881Z',
  stageTimestamp: '2026-12-03T08:00:00.020000Z',
  annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "x"' },
};

/** Go's encoder escapes &, < and > (and the request body's own JSON arrives as an escaped string). */
const goStyle = (s: string) => s.replace(/&/g, '\\u0026').replace(/</g, '\\u003c').replace(/>/g, '\\u003e');

const cases: Record<string, string> = {
  'a Go-encoded line': goStyle(JSON.stringify(base)),
  'fields in another order': JSON.stringify(Object.fromEntries(Object.entries(base).reverse())),
  'wanted names nested in the body and annotations are not taken': JSON.stringify({ ...base, requestObject: { kind: 'Secret', verb: 'x', stage: 'y', user: { username: 'mallory' } } }),
  'a string that holds what looks like a wanted field': JSON.stringify({ ...base, annotations: { x: '","verb":"delete","stage":"Panic' } }),
  'escapes of every kind in kept strings': JSON.stringify({ ...base, userAgent: 'a\\b"c\u0001\u2028é😀\t/', requestURI: '/api/v1/pods?x=\u00e9&y=<z>' }).replace('/api', '\\/api'),
  'escaped unicode spelled with \\u': '{"kind":"\\u0045vent","requestURI":"\\u002fapi\\u002Fv1\\ud83d\\ude00"}',
  'duplicate keys: the last wins': '{"kind":"Event","verb":"get","verb":"list","user":{"username":"a"},"user":{"username":"b","username":"c"}}',
  'a kept field of an unexpected type is kept whole': JSON.stringify({ ...base, user: 'bob', objectRef: ['pods'], responseStatus: { code: '200' }, kind: 5, stage: null }),
  'a kept nested object with escapes and nesting': JSON.stringify({ ...base, objectRef: { resource: 'p"o', extra: { deep: [{ resource: 'no' }] }, name: 'n\\m' } }),
  'whitespace everywhere JSON allows it': ' \t{ "kind" : "Event" ,\r\n"user" : { "username" : "u" } , "x" : [ 1 , { } ] }\r',
  'an empty object': '{}',
  'numbers': '{"kind":"Event","a":-0,"b":1.5E+10,"c":0.001,"d":-12e-2,"responseStatus":{"code":200}}',
  'non-ASCII keys and values skipped': JSON.stringify({ ...base, 'ключ': 'значение', '😀': ['ä'] }),
};

const invalid: Record<string, string> = {
  'not JSON': 'not json at all',
  'a JSON array': '[1,2]',
  'a JSON string': '"Event"',
  'cut short': goStyle(JSON.stringify(base)).slice(0, 300),
  'trailing garbage': '{"kind":"Event"} x',
  'two objects': '{"kind":"Event"}{"kind":"Event"}',
  'a trailing comma': '{"kind":"Event",}',
  'a trailing comma in a skipped array': '{"kind":"Event","x":[1,2,]}',
  'a missing colon': '{"kind" "Event"}',
  'a single-quoted string': "{'kind':'Event'}",
  'a raw control character in a skipped string': '{"kind":"Event","x":"a\u0001b"}',
  'a raw newline in a kept string': '{"kind":"Ev\nent"}',
  'a bad escape': '{"kind":"Event","x":"\\q"}',
  'a short \\u escape': '{"kind":"Event","x":"\\u12"}',
  'a leading zero': '{"kind":"Event","x":01}',
  'a bare minus': '{"kind":"Event","x":-}',
  'a fraction without digits': '{"kind":"Event","x":1.}',
  'an exponent without digits': '{"kind":"Event","x":1e+}',
  'a misspelt literal': '{"kind":"Event","x":tru}',
  'NaN': '{"kind":"Event","x":NaN}',
  'an unclosed nested object': '{"kind":"Event","x":{"a":1}',
  'a mismatched bracket': '{"kind":"Event","x":[1}]}',
  'an unquoted key': '{kind:"Event"}',
  'blank': '   ',
  'empty': '',
};

describe('scanObject', () => {
  for (const [name, line] of Object.entries(cases)) {
    it(`agrees with JSON.parse: ${name}`, () => {
      expect(reference(line)).not.toBe('throws');
      expect(scan(line)).toEqual(reference(line));
    });
  }

  for (const [name, line] of Object.entries(invalid)) {
    it(`refuses what JSON.parse refuses: ${name}`, () => {
      expect(typeof reference(line)).toBe('string'); // 'throws' or 'not an object'
      expect(scan(line)).toBeUndefined();
    });
  }

  it('steps aside on an escaped key (it may spell a wanted one) and on nesting deeper than it follows', () => {
    const escapedKey = '{"kind":"Event","ver\\u0062":"get"}';
    expect(reference(escapedKey)).toEqual({ kind: 'Event', verb: 'get' });
    expect(scan(escapedKey)).toBeUndefined();
    const deep = `{"kind":"Event","x":${'['.repeat(2000)}${']'.repeat(2000)}}`;
    expect(reference(deep)).toEqual({ kind: 'Event' });
    expect(scan(deep)).toBeUndefined();
  });

  it('reads a line inside a larger buffer by its range, and only that range', () => {
    const line = goStyle(JSON.stringify(base));
    const buf = Buffer.from(`garbage{"kind":"x"}\n${line}\n{"tail":`);
    const start = buf.indexOf('\n') + 1;
    const end = buf.indexOf('\n', start);
    expect(scanObject(buf, start, end)).toEqual(reference(line));
  });

  it('thousands of random corruptions: never a value JSON.parse would not give', () => {
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    const pieces = ['"', '\\', '{', '}', '[', ']', ',', ':', ' ', '0', '-', '1e5', 'u', '\\u00', 'true', 'null', '"verb":', '\n', '\u0001', 'é'];
    const seeds = Object.values(cases);
    let agreed = 0;
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      let line = seeds[Math.floor(rnd() * seeds.length)]!;
      const edits = 1 + Math.floor(rnd() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rnd() * (line.length + 1));
        const kind = rnd();
        const piece = pieces[Math.floor(rnd() * pieces.length)]!;
        if (kind < 0.33) line = line.slice(0, at) + line.slice(at + 1);
        else if (kind < 0.66) line = line.slice(0, at) + piece + line.slice(at);
        else line = line.slice(0, at) + piece + line.slice(at + 1);
      }
      const want = reference(line);
      const got = scan(line);
      if (typeof want === 'string') {
        expect(got, line).toBeUndefined();
        refused++;
      } else if (got !== undefined) {
        expect(got, line).toEqual(want);
        agreed++;
      }
    }
    // Both branches were exercised many times.
    expect(agreed).toBeGreaterThan(2000);
    expect(refused).toBeGreaterThan(2000);
  });
});

describe('parseAuditBytes', () => {
  it('gives the event parseAuditLine gives, or steps aside for it', () => {
    for (const line of [...Object.values(cases), ...Object.values(invalid)]) {
      const b = Buffer.from(line);
      const fast = parseAuditBytes(b, 0, b.length);
      if (fast !== undefined) expect(fast, line).toEqual(parseAuditLine(line));
    }
    const b = Buffer.from(goStyle(JSON.stringify(base)));
    expect(parseAuditBytes(b, 0, b.length)).toEqual({
      ok: true,
      event: {
        auditID: base.auditID,
        stage: 'ResponseComplete',
        level: 'Request',
        verb: 'list',
        requestURI: base.requestURI,
        user: 'alice',
        userAgent: base.userAgent,
        code: 404,
        requestReceivedMs: Date.parse(base.requestReceivedTimestamp),
        stageMs: Date.parse(base.stageTimestamp),
        objectRef: { resource: 'pods', namespace: 'default', name: 'web-1', subresource: 'status' },
      },
    });
  });
});

describe('rfc3339Ms', () => {
  it('gives what Date.parse gives for the audit timestamp shapes, and steps aside for the rest', () => {
    const shapes = [
      '2026-12-03T08:00:00Z',
      '2026-12-03T08:00:00.1Z',
      '2026-12-03T08:00:00.12Z',
      '2026-12-03T08:00:00.123Z',
      '2026-12-03T08:00:00.1234Z',
      '2026-12-03T08:00:00.001881Z',
      '2026-12-03T08:00:00.999999Z',
      '2026-12-03T23:59:59.123456789Z',
      '1999-01-01T00:00:00.000000Z',
      '2024-02-28T12:30:45.5Z',
    ];
    for (const s of shapes) expect(rfc3339Ms(s), s).toBe(Date.parse(s));
    for (const s of ['2026-02-30T00:00:00Z', '2026-12-03T08:00:00+01:00', '2026-12-03 08:00:00Z', '2026-13-03T08:00:00Z', '2026-12-03T24:00:00Z', '2026-12-03T08:00:00.Z', '2026-12-03T08:00:00.1234567890Z', 'x026-12-03T08:00:00Z', '2026-12-03T08:60:00Z']) {
      expect(rfc3339Ms(s), s).toBeUndefined();
    }
  });
});
