// Audit log files on disk: plain, gzip, truncated gzip, over-long lines, bad lines, and a file
// followed through appends and a rotation (rename + new file), as kube-apiserver's lumberjack does.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveProfile } from '../../storage/routing/index.js';
import { AuditIngest } from './ingest.js';
import { AuditRouter, type InferredRequest } from './infer.js';
import { readAuditFile } from './file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'audit-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const event = (i: number, uri: string, stage = 'ResponseComplete', verb = 'list') =>
  JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Request',
    auditID: `id-${i}`,
    stage,
    requestURI: uri,
    verb,
    user: { username: 'u' },
    userAgent: 'ua/1',
    responseStatus: { code: 200 },
    requestReceivedTimestamp: '2026-01-01T00:00:00.000000Z',
    stageTimestamp: '2026-01-01T00:00:00.020000Z',
  });

function ingest(): { ing: AuditIngest; got: InferredRequest[] } {
  const ing = new AuditIngest({ router: new AuditRouter(resolveProfile('1.34'), { etcdSupportsRequestWatchProgress: true, profileSource: 'test' }) });
  const got: InferredRequest[] = [];
  ing.subscribe((r) => got.push(r));
  return { ing, got };
}

describe('readAuditFile', () => {
  it('reads plain and gzip logs alike, the last line without a newline too', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => event(i, `/api/v1/pods?resourceVersion=${i % 2 ? '0' : ''}&limit=10`)).join('\n');
    writeFileSync(join(dir, 'a.log'), lines);
    writeFileSync(join(dir, 'a.log.gz'), gzipSync(lines));
    for (const f of ['a.log', 'a.log.gz']) {
      const { ing, got } = ingest();
      await readAuditFile(join(dir, f), ing, { chunkBytes: 4096 });
      expect(got).toHaveLength(1000);
      expect(got.filter((r) => r.servedBy === 'cache')).toHaveLength(1000); // 1.34 with etcd progress: consistent + RV 0 from cache
      expect(got[0]).toMatchObject({ latencyMs: 20, resource: 'pods', verb: 'list', query: { limit: '10' } });
      expect(ing.snapshot()).toMatchObject({ linesRead: 1000, events: 1000, routed: 1000, bad: [] });
    }
  });

  it('counts bad input with one example each and keeps going', async () => {
    const noURI = JSON.parse(event(9, '/x')) as Record<string, unknown>;
    delete noURI.requestURI;
    const content = [
      event(1, '/api/v1/pods'),
      'not json at all',
      JSON.stringify({ kind: 'Pod', apiVersion: 'v1' }),
      event(2, '/api/v1/pods').replace('audit.k8s.io/v1', 'audit.k8s.io/v1beta1'),
      event(3, '/api/v1/pods').replace('audit.k8s.io/v1', 'audit.k8s.io/v1beta1'),
      JSON.stringify(noURI),
      `{"kind":"Event","pad":"${'x'.repeat(5000)}"}`,
      event(4, '/api/v1/namespaces/ns/configmaps?watch=true&resourceVersion=5', 'ResponseStarted', 'watch'),
      event(4, '/api/v1/namespaces/ns/configmaps?watch=true&resourceVersion=5', 'ResponseComplete', 'watch'),
      event(5, '/healthz', 'ResponseComplete', 'get'),
      event(6, '/api/v1/namespaces/ns/pods/p/log', 'ResponseComplete', 'get'),
      '',
    ].join('\n');
    writeFileSync(join(dir, 'b.log'), content);
    const { ing, got } = ingest();
    await readAuditFile(join(dir, 'b.log'), ing, { maxLineBytes: 4096 });
    expect(got.map((r) => r.auditID)).toEqual(['id-1', 'id-4']);
    const s = ing.snapshot();
    expect(Object.fromEntries(s.bad.map((b) => [b.kind, b.count]))).toEqual({ notJSON: 1, notAuditEvent: 1, unknownApiVersion: 2, noRequestURI: 1, lineTooLong: 1 });
    expect(s.bad.find((b) => b.kind === 'notJSON')!.example).toBe('b.log:2: not JSON — not json at all');
    expect(s.bad.find((b) => b.kind === 'unknownApiVersion')!.example).toMatch(/^b\.log:4: apiVersion "audit\.k8s\.io\/v1beta1"/);
    expect(s.bad.find((b) => b.kind === 'lineTooLong')!.example).toMatch(/^b\.log:7: 50\d\d bytes \(limit 4096\)$/);
    expect(s.skipped).toEqual({ nonResource: 1, subresource: 1, otherVerb: 0 });
    expect(s.stagesFolded).toBe(1);
  });

  it('a requestURI that is not a valid URL path is bad input, and the events after it are still read', async () => {
    const { ing, got } = ingest();
    writeFileSync(join(dir, 'u.log'), [event(1, '/api/v1/namespaces/%zz/pods'), event(2, '/api/v1/pods?limit=5'), ''].join('\n'));
    await readAuditFile(join(dir, 'u.log'), ing);
    expect(got.map((r) => r.auditID)).toEqual(['id-2']);
    const bad = ing.snapshot().bad;
    expect(bad.map((b) => [b.kind, b.count])).toEqual([['badRequestURI', 1]]);
    expect(bad[0]!.example).toMatch(/^auditID id-1: .* — \/api\/v1\/namespaces\/%zz\/pods$/);
  });

  it('a truncated gzip is counted, the events before the cut are kept', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => event(i, `/api/v1/pods?resourceVersion=0&i=${i}`)).join('\n') + '\n';
    const gz = gzipSync(lines);
    writeFileSync(join(dir, 'c.log.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
    const { ing, got } = ingest();
    await readAuditFile(join(dir, 'c.log.gz'), ing);
    expect(got.length).toBeGreaterThan(100);
    expect(got.length).toBeLessThan(2000);
    const bad = ing.snapshot().bad;
    expect(bad.map((b) => [b.kind, b.count])).toEqual([['truncatedGzip', 1]]);
    expect(bad[0]!.example).toMatch(/^c\.log\.gz after line \d+: unexpected end of file/);
  });

  it('a missing file is counted as unreadable, not thrown', async () => {
    const { ing } = ingest();
    await readAuditFile(join(dir, 'nope.log'), ing);
    expect(ing.snapshot().bad.map((b) => b.kind)).toEqual(['unreadable']);
  });

  it('follows appends and a rotation like tail -F, reading the old file to its end first', async () => {
    const path = join(dir, 'audit.log');
    writeFileSync(path, event(1, '/api/v1/pods?resourceVersion=0') + '\n');
    const { ing, got } = ingest();
    const stop = new AbortController();
    const done = readAuditFile(path, ing, { follow: true, signal: stop.signal, pollMs: 20 });
    const until = async (n: number) => {
      const end = Date.now() + 10_000;
      while (got.length < n) {
        if (Date.now() > end) throw new Error(`only ${got.length} of ${n}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await until(1);
    // A line written in two pieces is one line.
    const e2 = event(2, '/api/v1/pods?resourceVersion=0');
    appendFileSync(path, e2.slice(0, 40));
    await new Promise((r) => setTimeout(r, 100));
    appendFileSync(path, e2.slice(40) + '\n');
    await until(2);
    // Rotation: one more line lands in the old file after the rename, then a new file appears.
    renameSync(path, `${path}.1`);
    appendFileSync(`${path}.1`, event(3, '/api/v1/pods?resourceVersion=0') + '\n');
    writeFileSync(path, event(4, '/api/v1/pods?resourceVersion=0') + '\n');
    await until(4);
    appendFileSync(path, event(5, '/api/v1/pods?resourceVersion=0') + '\n');
    await until(5);
    stop.abort();
    await done;
    expect(got.map((r) => r.auditID)).toEqual(['id-1', 'id-2', 'id-3', 'id-4', 'id-5']);
    expect(ing.snapshot().bad).toEqual([]);
  });
});
