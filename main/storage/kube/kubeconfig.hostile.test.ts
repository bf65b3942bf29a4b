// Hostile kubeconfigs against what the CLI and the Connect view load (loadContext): files that are
// missing or not YAML, fields of the wrong type at every level, unknown contexts, and client
// certificates and keys that are missing, damaged or swapped. Each row asserts the exact one-line
// message; none may quote the file's secrets; after the table a sound kubeconfig still loads.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { generateServingCerts } from '../apiserver/certs.js';
import { loadContext } from './kubeconfig.js';

// Made at load time: the rows below are generated from these paths and PEMs.
const dir = mkdtempSync(join(tmpdir(), 'watchscope-kc-hostile-'));
const { certPem, keyPem } = generateServingCerts();
const SECRET = 'sekrit-token-value-0123456789';
writeFileSync(join(dir, 'client.crt'), certPem);
writeFileSync(join(dir, 'client.key'), keyPem);
writeFileSync(join(dir, 'garbage.pem'), '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
writeFileSync(join(dir, 'empty.pem'), '');
mkdirSync(join(dir, 'a-directory'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const b64 = (s: string) => Buffer.from(s).toString('base64');
const sound = () => ({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443' } }],
  users: [{ name: 'u', user: { token: SECRET } }],
  contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
  'current-context': 'x',
});

let n = 0;
function file(text: string): string {
  const p = join(dir, `kc-${n++}`);
  writeFileSync(p, text);
  return p;
}

interface Row {
  name: string;
  /** The kubeconfig path (made in the test) and the context asked for. */
  make: () => { path: string; context?: string };
  /** The message, given the file's path. */
  want: (path: string) => string;
}

// ---- text that is not a kubeconfig ----------------------------------------------------------------

const TEXTS: [string, string, string][] = [
  ['empty', '', 'the file is empty'],
  ['only a comment', `# token: ${SECRET}\n`, 'the file is empty'],
  ['unclosed flow mapping', `{clusters: [${SECRET}\n`, 'line 2: not valid YAML (bad indent)'],
  ['tab indentation', `clusters:\n\t- name: ${SECRET}\n`, 'line 2: not valid YAML (tab as indent)'],
  ['a bare scalar', `${SECRET}\n`, 'line 1: the top level is not a mapping of keys (apiVersion, clusters, users, contexts, …)'],
  ['a list at the top', `- ${SECRET}\n`, 'line 1: the top level is not a mapping of keys (apiVersion, clusters, users, contexts, …)'],
  // Shape-checked as sound (duplicates are allowed there); the client library's refusal names no value.
  ['duplicate keys', `users: []\nusers: [${SECRET}]\n`, 'duplicated mapping key (2:1)'],
  ['binary bytes', '\u0000\u0001\u0002', 'line 1: the top level is not a mapping of keys (apiVersion, clusters, users, contexts, …)'],
];
const textRows: Row[] = TEXTS.map(([label, text, what]) => ({ name: `text: ${label}`, make: () => ({ path: file(text) }), want: (p) => `kubeconfig ${p}${what.startsWith('line') ? ', ' : ': '}${what}` }));

// ---- every list, entry and field with a value of the wrong type ----------------------------------

// Each wrong value carries a marker, so the row finds the line the message must name.
const MARK = 'wrong-value-marker';
const WRONG: [string, unknown][] = [
  ['a number', 424242],
  ['a string', MARK],
  ['a mapping', { [MARK]: 1 }],
  ['a list', [MARK]],
];
/** The 1-based line of the first line holding the marker. */
const markLine = (text: string) => text.split('\n').findIndex((l) => l.includes(MARK) || l.includes('424242')) + 1;
function shapeRow(name: string, config: unknown, what: string): Row {
  const text = stringify(config);
  return { name, make: () => ({ path: file(text) }), want: (p) => `kubeconfig ${p}, line ${markLine(text)}: ${what}` };
}
const shapeRows: Row[] = [];
for (const list of ['clusters', 'users', 'contexts'] as const) {
  const inner = { clusters: 'cluster', users: 'user', contexts: 'context' }[list];
  for (const [label, value] of WRONG) {
    const isMapping = typeof value === 'object' && !Array.isArray(value);
    if (!Array.isArray(value)) shapeRows.push(shapeRow(`${list} is ${label}`, { ...sound(), [list]: value }, `"${list}" is not a list`));
    if (!isMapping) shapeRows.push(shapeRow(`${list}[0] is ${label}`, { ...sound(), [list]: [value] }, `${list}[0] is not a mapping`));
    if (typeof value !== 'string') shapeRows.push(shapeRow(`${list}[0].name is ${label}`, { ...sound(), [list]: [{ ...(sound()[list][0] as object), name: value }] }, `${list}[0] has no name (a non-empty string)`));
    if (!isMapping) shapeRows.push(shapeRow(`${list}[0].${inner} is ${label}`, { ...sound(), [list]: [{ name: 'n', [inner]: value }] }, `${list}[0].${inner} is not a mapping`));
  }
}
for (const [label, value] of WRONG.filter(([, v]) => typeof v === 'object')) {
  shapeRows.push(shapeRow(`clusters[0].cluster.server is ${label}`, { ...sound(), clusters: [{ name: 'c', cluster: { server: value } }] }, 'clusters[0].cluster.server is not a single value'));
  shapeRows.push(shapeRow(`users[0].user.token is ${label}`, { ...sound(), users: [{ name: 'u', user: { token: value } }] }, 'users[0].user.token is not a single value'));
  shapeRows.push(shapeRow(`contexts[0].context.user is ${label}`, { ...sound(), contexts: [{ name: 'x', context: { cluster: 'c', user: value } }] }, 'contexts[0].context.user is not a single value'));
  shapeRows.push(shapeRow(`current-context is ${label}`, { ...sound(), 'current-context': value }, '"current-context" is not a single value'));
}

// ---- contexts that point nowhere ------------------------------------------------------------------

const contextRows: Row[] = [
  { name: 'an unknown context', make: () => ({ path: file(stringify(sound())), context: 'nope' }), want: (p) => `context "nope" is not in the kubeconfig (${p}); known contexts: x` },
  { name: 'no current-context', make: () => ({ path: file(stringify({ ...sound(), 'current-context': undefined })) }), want: (p) => `the kubeconfig (${p}) has no current-context: choose a context` },
  { name: 'a context naming a missing cluster', make: () => ({ path: file(stringify({ ...sound(), contexts: [{ name: 'x', context: { cluster: 'gone', user: 'u' } }] })) }), want: () => 'context "x" refers to cluster "gone", which the kubeconfig does not define' },
];

// ---- client certificates and keys, as data and as files ------------------------------------------

type Source = 'data' | 'file';
const PEMS: [string, (src: Source) => string | undefined, string][] = [
  ['a certificate', (src) => (src === 'data' ? b64(certPem) : join(dir, 'client.crt')), 'cert'],
  ['a private key', (src) => (src === 'data' ? b64(keyPem) : join(dir, 'client.key')), 'key'],
  ['a damaged PEM', (src) => (src === 'data' ? b64('-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n') : join(dir, 'garbage.pem')), 'garbage'],
  ['nothing (empty)', (src) => (src === 'data' ? undefined : join(dir, 'empty.pem')), 'empty'],
  ['a missing file', (src) => (src === 'data' ? undefined : join(dir, 'no-such.pem')), 'missing'],
  ['a directory', (src) => (src === 'data' ? undefined : join(dir, 'a-directory')), 'directory'],
];
const certRows: Row[] = [];
for (const src of ['data', 'file'] as Source[]) {
  for (const [certLabel, cert, certKind] of PEMS) {
    for (const [keyLabel, key, keyKind] of PEMS) {
      const c = cert(src);
      const k = key(src);
      if (c === undefined || k === undefined) continue;
      if (certKind === 'cert' && keyKind === 'key') continue; // the sound pair, checked after the table
      const user = src === 'data' ? { 'client-certificate-data': c, 'client-key-data': k } : { 'client-certificate': c, 'client-key': k };
      certRows.push({
        name: `client certificate ${src}: ${certLabel} / key: ${keyLabel}`,
        make: () => ({ path: file(stringify({ ...sound(), users: [{ name: 'u', user }] })) }),
        want: () => `user "u" of context "x": ${pairMessage(src, [certKind, c], [keyKind, k])}`,
      });
    }
  }
}

/** What loadContext says about a certificate/key pair, by what each holds, in the order it checks. */
function pairMessage(src: Source, [certKind, certPath]: [string, string], [keyKind, keyPath]: [string, string]): string {
  const certWhere = src === 'data' ? 'client-certificate-data' : `client-certificate file "${certPath}"`;
  const keyWhere = src === 'data' ? 'client-key-data' : `client-key file "${keyPath}"`;
  const unreadable = (field: string, kind: string, p: string) =>
    kind === 'missing' ? `cannot read the ${field} file "${p}": no such file` : kind === 'directory' ? `cannot read the ${field} file "${p}": EISDIR` : undefined;
  const u = unreadable('client-certificate', certKind, certPath) ?? unreadable('client-key', keyKind, keyPath);
  if (u) return u;
  if (certKind === 'key' && (keyKind === 'cert' || keyKind === 'garbage')) return `the client certificate and key are swapped: ${certWhere} holds a private key and ${keyWhere} a certificate`;
  const holds: Record<string, string> = { cert: 'a certificate', garbage: 'a certificate', empty: 'no PEM block', key: 'a private key' };
  if (keyKind !== 'key') return `${keyWhere} holds ${holds[keyKind]}, not a private key (-----BEGIN … PRIVATE KEY-----)`;
  if (certKind === 'garbage') return `${certWhere} holds a certificate PEM block that does not parse (truncated or damaged?)`;
  return `${certWhere} holds ${holds[certKind]}, not a certificate (-----BEGIN CERTIFICATE-----)`;
}

const ALL = [...textRows, ...shapeRows, ...contextRows, ...certRows];

describe(`hostile kubeconfigs (${ALL.length} rows)`, () => {
  it.each(ALL.map((r) => [r.name, r] as const))('%s', async (_n, row) => {
    const { path, context } = row.make();
    const err = await loadContext({ kubeconfig: path, ...(context ? { context } : {}) }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    const msg = err!.message;
    expect(msg.split('\n')).toHaveLength(1);
    expect(msg).not.toContain(SECRET);
    expect(msg).not.toMatch(/error:[0-9A-F]{8}:|DECODER routines/);
    expect(msg).toBe(row.want(path));
  });

  it('still loads a sound kubeconfig, by token and by certificate files', async () => {
    const byToken = await loadContext({ kubeconfig: file(stringify(sound())) });
    expect(byToken.context.name).toBe('x');
    const byCert = await loadContext({ kubeconfig: file(stringify({ ...sound(), users: [{ name: 'u', user: { 'client-certificate': join(dir, 'client.crt'), 'client-key': join(dir, 'client.key') } }] })) });
    expect(byCert.user?.name).toBe('u');
  });
});
