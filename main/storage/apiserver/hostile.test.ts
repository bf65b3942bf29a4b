// Hostile input against the Kubernetes endpoint, on a real etcd: tables of malformed or oversized
// paths, queries, headers, bodies, tokens and raw request lines, generated as cross products.
// Each row asserts the exact answer (status, Status reason and message, as kube-apiserver v1.36
// answers where it has an opinion), and after the tables the endpoint still serves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawBody, rawRequest as rawSocket } from '../../testing/raw-request.js';
import { startTestApiServer, type HttpAnswer, type TestApiServer } from './testing.js';

let h: TestApiServer;

beforeAll(async () => {
  h = await startTestApiServer();
  await h.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'default' } } });
  await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'present' }, data: { k: 'v' } } });
});
afterAll(async () => {
  await h?.close();
});

/** The answer as rows state it: status, and the Status' reason and message when the body is one. */
interface Want {
  status: number;
  reason?: string;
  message?: string;
  /** For a success: the body's kind. */
  kind?: string;
}

interface Row {
  name: string;
  send: () => Promise<HttpAnswer>;
  want: Want;
}

const quote = (s: string) => JSON.stringify(s);
const notRouted: Want = { status: 404, reason: 'NotFound', message: 'the server could not find the requested resource' };
const unauthorized: Want = { status: 401, reason: 'Unauthorized', message: 'Unauthorized' };
const badTarget: Want = { status: 400, reason: 'BadRequest', message: 'the request target is not a valid URL path (malformed percent-encoding or host)' };
const nameInvalid = (n: string, why: string): Want => ({ status: 400, reason: 'BadRequest', message: `Name parameter invalid: ${quote(n)}: ${why}` });
const invalidKey = (key: string): Want => ({ status: 500, message: `invalid key: ${quote(key)}` });
const notFound = (name: string): Want => ({ status: 404, reason: 'NotFound', message: `configmaps ${quote(name)} not found` });
const LABEL = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const req = (method: string, path: string, o: Parameters<TestApiServer['request']>[2] = {}) => () => h.request(method, path, o);
const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });

// ---- paths: one segment, as a namespace or as a name, under every verb ----------------------

/** A path segment as sent, and what the server decodes it to. */
const SEGMENTS: [sent: string, decoded: string][] = [
  ['..', '..'],
  ['.', '.'],
  ['%2E%2E', '..'],
  ['%2e', '.'],
  ['a%2Fb', 'a/b'],
  ['..%2F..%2Fx', '../../x'],
  ['a%25b', 'a%b'],
  ['%252F', '%2F'],
  ['A', 'A'],
  ['a.b', 'a.b'],
  ['a_b', 'a_b'],
  ['x'.repeat(64), 'x'.repeat(64)],
  ['%C3%A9t%C3%A9', 'été'],
];

const isDot = (d: string) => d === '.' || d === '..';
const nsLabelProblem = (d: string): string | undefined =>
  d.length > 63 ? 'must be no more than 63 characters' : /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(d) ? undefined : /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(d) ? 'must not contain dots' : LABEL;
const nameSegmentProblem = (d: string): string | undefined => (isDot(d) ? `may not be '${d}'` : d.includes('%') ? "may not contain '%'" : undefined);

type Template = { name: string; at: 'namespace' | 'name'; method: string; path: (s: string) => string; body?: (d: string) => unknown; want: (d: string) => Want };
const TEMPLATES: Template[] = [
  { name: 'LIST in namespace', at: 'namespace', method: 'GET', path: (s) => `/api/v1/namespaces/${s}/configmaps`, want: (d) => (isDot(d) ? invalidKey(`/configmaps/${d}`) : { status: 200, kind: 'ConfigMapList' }) },
  { name: 'GET in namespace', at: 'namespace', method: 'GET', path: (s) => `/api/v1/namespaces/${s}/configmaps/x`, want: (d) => (isDot(d) ? invalidKey(`/configmaps/${d}/x`) : notFound('x')) },
  {
    name: 'POST in namespace',
    at: 'namespace',
    method: 'POST',
    path: (s) => `/api/v1/namespaces/${s}/configmaps`,
    body: () => cm('x'),
    want: (d) => {
      const p = nsLabelProblem(d);
      return p ? { status: 422, reason: 'Invalid', message: `ConfigMap "x" is invalid: metadata.namespace: Invalid value: ${quote(d)}: ${p}` } : { status: 201, kind: 'ConfigMap' };
    },
  },
  { name: 'GET by name', at: 'name', method: 'GET', path: (s) => `/api/v1/namespaces/default/configmaps/${s}`, want: (d) => { const p = nameSegmentProblem(d); return p ? nameInvalid(d, p) : notFound(d); } },
  { name: 'WATCH by name', at: 'name', method: 'GET', path: (s) => `/api/v1/namespaces/default/configmaps/${s}?watch=1&timeoutSeconds=1`, want: (d) => { const p = nameSegmentProblem(d); return p ? nameInvalid(d, p) : { status: 200 }; } },
  { name: 'PUT by name', at: 'name', method: 'PUT', path: (s) => `/api/v1/namespaces/default/configmaps/${s}`, body: (d) => cm(d), want: (d) => { const p = nameSegmentProblem(d); return p ? nameInvalid(d, p) : notFound(d); } },
  { name: 'DELETE by name', at: 'name', method: 'DELETE', path: (s) => `/api/v1/namespaces/default/configmaps/${s}`, want: (d) => { const p = nameSegmentProblem(d); return p ? nameInvalid(d, p) : notFound(d); } },
];

const pathRows: Row[] = TEMPLATES.flatMap((t) =>
  SEGMENTS.map(([sent, decoded]): Row => ({
    name: `${t.name} ${t.path(sent)}`,
    send: req(t.method, t.path(sent), t.body ? { body: t.body(decoded) } : {}),
    // Go's server decodes the path before routing: a "/" inside a segment makes a route that does not exist.
    want: decoded.includes('/') ? notRouted : t.want(decoded),
  })),
);

// ---- queries ----------------------------------------------------------------------------------

const parseInt64 = (v: string) => `strconv.ParseInt: parsing ${quote(v)}: ${/^[+-]?\d+$/.test(v) ? 'value out of range' : 'invalid syntax'}`;
const QUERY_VALUES = ['abc', '1.5', '99999999999999999999', '0x10', ' 1'];
const queryRows: Row[] = [
  ...['limit', 'timeoutSeconds'].flatMap((k) =>
    QUERY_VALUES.map((v): Row => ({ name: `LIST ?${k}=${v}`, send: req('GET', `/api/v1/configmaps?${k}=${encodeURIComponent(v)}`), want: { status: 400, reason: 'BadRequest', message: parseInt64(v) } })),
  ),
  ...QUERY_VALUES.map((v): Row => ({
    name: `GET ?resourceVersion=${v}`,
    send: req('GET', `/api/v1/namespaces/default/configmaps/present?resourceVersion=${encodeURIComponent(v)}`),
    // kube-apiserver v1.36 answers this with a 500 without reason, as here.
    want: { status: 500, message: `resourceVersion: Invalid value: ${quote(v)}: strconv.ParseUint: parsing ${quote(v)}: ${/^\d+$/.test(v) ? 'value out of range' : 'invalid syntax'}` },
  })),
  ...['labelSelector', 'fieldSelector'].flatMap((k) =>
    ['!!', '=x', 'a in (', 'x'.repeat(20_000)].map((v): Row => ({ name: `LIST ?${k}=${v.slice(0, 20)}`, send: req('GET', `/api/v1/configmaps?${k}=${encodeURIComponent(v)}`), want: { status: 400, reason: 'BadRequest' } })),
  ),
];

// ---- tokens and headers -----------------------------------------------------------------------

const TOKENS: [string, (t: string) => string | undefined][] = [
  ['none', () => undefined],
  ['empty', () => ''],
  ['scheme only', () => 'Bearer'],
  ['scheme and space', () => 'Bearer '],
  ['Basic', (t) => `Basic ${Buffer.from(`a:${t}`).toString('base64')}`],
  ['one byte short', (t) => `Bearer ${t.slice(0, -1)}`],
  ['one byte long', (t) => `Bearer ${t}x`],
  ['case-flipped token', (t) => `Bearer ${t.toUpperCase() === t ? t.toLowerCase() : t.toUpperCase()}`],
  ['token twice', (t) => `Bearer ${t} ${t}`],
  ['8 KB token', () => `Bearer ${'a'.repeat(8000)}`],
  ['NUL-padded', (t) => `Bearer ${t}\u0000`],
];
const tokenRows: Row[] = TOKENS.flatMap(([label, make]) =>
  ['/api/v1/configmaps', '/version', '/api/v1/namespaces/a%2Fb/configmaps', '/debug/watchscope/decisions'].map((path): Row => ({
    name: `token ${label} on ${path}`,
    send: () => {
      const auth = make(h.server.token);
      return h.request('GET', path, { token: null, headers: auth === undefined ? {} : { Authorization: auth } }).catch((e: Error) => ({ status: -1, headers: {}, text: e.message, json: undefined }));
    },
    // A header Node refuses to send (NUL) never reaches the server.
    want: label === 'NUL-padded' ? { status: -1 } : unauthorized,
  })),
);

const headerRows: Row[] = [
  // A flood of these once evicted the decision log; each is refused before anything is parsed.
  ...['labelSelector', 'fieldSelector', 'continue'].map((k): Row => ({
    name: `15 KB ${k} without the token`,
    send: req('GET', `/api/v1/pods?${k}=${'x'.repeat(15_000)}`, { token: null, headers: { 'User-Agent': 'flood' } }),
    want: unauthorized,
  })),
  ...['application/yaml', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'].map((ct): Row => ({
    name: `POST with Content-Type ${ct}`,
    send: req('POST', '/api/v1/namespaces/default/configmaps', { body: JSON.stringify(cm('ct')), headers: { 'Content-Type': ct } }),
    want: { status: 415, reason: 'UnsupportedMediaType', ...(ct === 'application/yaml' ? {} : { message: 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf' }) },
  })),
  ...['application/json', 'application/yaml', 'text/plain'].map((ct): Row => ({
    name: `PATCH with Content-Type ${ct}`,
    send: req('PATCH', '/api/v1/namespaces/default/configmaps/present', { body: '{}', headers: { 'Content-Type': ct } }),
    want: { status: 415, reason: 'UnsupportedMediaType', message: 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json' },
  })),
  {
    name: 'a cookie with a bad percent-escape is ignored',
    send: req('GET', '/api/v1/namespaces/default/configmaps', { headers: { Cookie: 'other=%E0%A4%A' } }),
    want: { status: 200, kind: 'ConfigMapList' },
  },
];

// ---- bodies -----------------------------------------------------------------------------------

const BODIES: [string, string | Buffer, Want][] = [
  ['not JSON', '{nope', { status: 400, reason: 'BadRequest' }],
  ['empty', '', { status: 400, reason: 'BadRequest' }],
  ['null', 'null', { status: 422, reason: 'Invalid', message: 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required' }],
  ['an array', '[]', { status: 400, reason: 'BadRequest' }],
  ['a string', '"x"', { status: 400, reason: 'BadRequest' }],
  ['a number', '42', { status: 400, reason: 'BadRequest' }],
  ['metadata a number', '{"metadata":5}', { status: 400, reason: 'BadRequest', message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.metadata of type v1.ObjectMeta' }],
  ['name a number', '{"metadata":{"name":5}}', { status: 400, reason: 'BadRequest', message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string' }],
  ['namespace an array', '{"metadata":{"name":"k","namespace":[]}}', { status: 400, reason: 'BadRequest', message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal array into Go struct field ObjectMeta.metadata.namespace of type string' }],
  ['metadata a string', '{"metadata":"x"}', { status: 400, reason: 'BadRequest', message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go struct field ConfigMap.metadata of type v1.ObjectMeta' }],
  ['another kind', '{"kind":"Pod","metadata":{"name":"k"}}', { status: 400, reason: 'BadRequest', message: 'the kind in the data (Pod) does not match the expected kind (ConfigMap)' }],
  ['another apiVersion', '{"apiVersion":"v2","metadata":{"name":"k"}}', { status: 400, reason: 'BadRequest', message: 'the API version in the data (v2) does not match the expected API version (v1)' }],
  ['another namespace', '{"metadata":{"name":"k","namespace":"other"}}', { status: 400, reason: 'BadRequest', message: 'the namespace of the provided object does not match the namespace sent on the request' }],
  ['name ../../x', '{"metadata":{"name":"../../x"}}', { status: 422, reason: 'Invalid', message: `ConfigMap "../../x" is invalid: metadata.name: Invalid value: "../../x": ${SUBDOMAIN}` }],
  ['name with a slash', '{"metadata":{"name":"a/b"}}', { status: 422, reason: 'Invalid', message: `ConfigMap "a/b" is invalid: metadata.name: Invalid value: "a/b": ${SUBDOMAIN}` }],
  ['name of 254 characters', JSON.stringify({ metadata: { name: 'a'.repeat(254) } }), { status: 422, reason: 'Invalid', message: `ConfigMap ${quote('a'.repeat(254))} is invalid: metadata.name: Invalid value: ${quote('a'.repeat(254))}: must be no more than 253 characters` }],
  ['no name', '{"metadata":{}}', { status: 422, reason: 'Invalid', message: 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required' }],
  // Invalid UTF-8 decodes to U+FFFD, as Go's decoder does.
  ['invalid UTF-8 in the name', Buffer.concat([Buffer.from('{"metadata":{"name":"'), Buffer.from([0xff]), Buffer.from('"}}')]), { status: 422, reason: 'Invalid', message: `ConfigMap "\ufffd" is invalid: metadata.name: Invalid value: "\ufffd": ${SUBDOMAIN}` }],
  ['nested 10,000 deep', '['.repeat(10_000) + ']'.repeat(10_000), { status: 400, reason: 'BadRequest' }],
  ['over 3 MiB', JSON.stringify({ metadata: { name: 'big' }, data: { k: 'x'.repeat(3 * 1024 * 1024) } }), { status: 413, message: 'Request entity too large: limit is 3145728' }],
];
const bodyRows: Row[] = BODIES.flatMap(([label, body, want]) => [
  { name: `POST body ${label}`, send: req('POST', '/api/v1/namespaces/default/configmaps', { body }), want },
]);

// ---- raw request lines (what no HTTP client library sends) -------------------------------------

const RAW_TARGETS = ['http://[/', '/api/v1/namespaces/%E0%A4%A/pods', '/api/v1/namespaces/%zz/configmaps/x', '/%', '/api/v1/configmaps/%FF'];
const rawRows: Row[] = RAW_TARGETS.flatMap((target) =>
  [false, true].map((withToken): Row => ({
    name: `raw GET ${target} ${withToken ? 'with' : 'without'} the token`,
    send: async () => {
      const a = await rawSocket(
        { port: Number(new URL(h.server.url).port), ca: h.server.caPem! },
        `GET ${target} HTTP/1.1\r\nHost: localhost\r\n${withToken ? `Authorization: Bearer ${h.server.token}\r\n` : ''}Connection: close\r\n\r\n`,
      );
      let json: unknown;
      try {
        json = JSON.parse(rawBody(a));
      } catch {
        json = undefined;
      }
      return { status: a.status, headers: {}, text: a.text, json };
    },
    want: withToken ? badTarget : unauthorized,
  })),
);

const ALL = [...pathRows, ...queryRows, ...tokenRows, ...headerRows, ...bodyRows, ...rawRows];

describe(`hostile input to the endpoint (${ALL.length} rows)`, () => {
  it('has at least 150 rows, generated from the tables', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(150);
  });

  it.each(ALL.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const r = await row.send();
    const got: Want = { status: r.status };
    if (row.want.reason !== undefined || row.want.message !== undefined || r.json?.kind === 'Status') {
      if (row.want.reason !== undefined) got.reason = r.json?.reason;
      if (row.want.message !== undefined) got.message = r.json?.message;
    }
    if (row.want.kind !== undefined) got.kind = r.json?.kind;
    expect(got).toEqual(row.want);
    if (r.status >= 400 && r.json) expect(r.json).toMatchObject({ kind: 'Status', status: 'Failure', code: r.status });
  });

  it('still serves after every row: reads, writes and a watch', async () => {
    const list = await h.request('GET', '/api/v1/namespaces/default/configmaps');
    expect(list.status).toBe(200);
    expect(list.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toContain('present');
    expect((await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: cm('after-hostile') })).status).toBe(201);
    const w = await h.request('GET', '/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0&timeoutSeconds=1');
    expect(w.status).toBe(200);
    expect(w.text).toContain('after-hostile');
    // No key outside the namespaces the rows were allowed to write in.
    const keys = (await h.source.list('/registry/configmaps/')).items.map((i) => i.key);
    expect(keys.filter((k) => !/^\/registry\/configmaps\/(default|[a-z0-9]([-a-z0-9]*[a-z0-9])?)\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(k))).toEqual([]);
  });
});
