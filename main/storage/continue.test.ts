import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import {
  ContinueTokenError,
  cleanPath,
  decodeContinue,
  encodeContinue,
  encodeContinueFromKey,
  prepareContinueToken,
} from './continue.js';
import { startEtcd, findEtcdBinary, type EtcdProcess } from './etcd/process.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

describe('continue token encoding', () => {
  it('is base64 RawURL of upstream JSON, start = last key suffix + NUL', () => {
    const tok = prepareContinueToken('/registry/pods/default/web-1', '/registry/pods/', 42);
    expect(tok).not.toContain('=');
    expect(Buffer.from(tok, 'base64url').toString('utf8')).toBe('{"v":"meta.k8s.io/v1","rv":42,"start":"default/web-1\\u0000"}');
    expect(decodeContinue(tok, '/registry/pods/')).toEqual({ rv: 42, start: 'default/web-1\u0000', key: '/registry/pods/default/web-1\u0000' });
  });

  it('round-trips rv and start, including negative rv and HTML-escaped characters', () => {
    for (const [rv, start] of [
      [1, 'a\u0000'],
      [-1, 'ns/x\u0000'],
      [9007199254740991, 'default/a<b>&c\u0000'],
    ] as const) {
      const tok = encodeContinue(rv, start);
      expect(decodeContinue(tok)).toMatchObject({ rv, start });
    }
    expect(Buffer.from(encodeContinue(3, '<&>'), 'base64url').toString()).toContain('\\u003c\\u0026\\u003e');
  });

  it('accepts the cache form with a leading slash and decodes it to the same key', () => {
    const cacheTok = encodeContinueFromKey('/pods/default/web-1\u0000', '/pods', 7);
    expect(Buffer.from(cacheTok, 'base64url').toString()).toContain('"start":"/default/web-1\\u0000"');
    expect(decodeContinue(cacheTok, '/registry/pods/').key).toBe('/registry/pods/default/web-1\u0000');
  });

  it('refuses a key outside the prefix when encoding', () => {
    expect(() => encodeContinueFromKey('/other/x', '/registry/pods/', 1)).toThrow('unable to encode next field: the key and key prefix do not match');
  });

  it.each([
    ['bad base64 char', '!!!!', 'continue key is not valid: illegal base64 data at input byte 0'],
    ['padding', b64('{"v":"meta.k8s.io/v1","rv":1,"start":"a"}') + '=', /^continue key is not valid: illegal base64 data at input byte \d+$/],
    ['bad length', 'abcde', 'continue key is not valid: illegal base64 data at input byte 4'],
    ['not JSON', b64('hello'), "continue key is not valid: invalid character 'h' looking for beginning of value"],
    ['empty', '', 'continue key is not valid: unexpected end of JSON input'],
    ['array', b64('[1]'), 'continue key is not valid: json: cannot unmarshal array into Go value of type storage.continueToken'],
    ['rv string', b64('{"v":"meta.k8s.io/v1","rv":"5","start":"a"}'), 'continue key is not valid: json: cannot unmarshal string into Go struct field continueToken.rv of type int64'],
    ['rv zero', b64('{"v":"meta.k8s.io/v1","rv":0,"start":"a"}'), 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)'],
    ['rv missing', b64('{"v":"meta.k8s.io/v1","start":"a"}'), 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)'],
    ['empty start', b64('{"v":"meta.k8s.io/v1","rv":3,"start":""}'), 'continue key is not valid: encoded start key empty (version meta.k8s.io/v1)'],
    ['unknown version', b64('{"v":"meta.k8s.io/v2","rv":3,"start":"a"}'), 'continue key is not valid: server does not recognize this encoded version meta.k8s.io/v2'],
    ['traversal', b64('{"v":"meta.k8s.io/v1","rv":3,"start":"../secrets/x"}'), 'continue key is not valid: ../secrets/x'],
    ['inner traversal', b64('{"v":"meta.k8s.io/v1","rv":3,"start":"default/../../x"}'), 'continue key is not valid: default/../../x'],
    ['double slash', b64('{"v":"meta.k8s.io/v1","rv":3,"start":"a//b"}'), 'continue key is not valid: a//b'],
    ['trailing slash', b64('{"v":"meta.k8s.io/v1","rv":3,"start":"default/"}'), 'continue key is not valid: default/'],
  ])('rejects %s with upstream text', (_name, token, message) => {
    let err: unknown;
    try {
      decodeContinue(token);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ContinueTokenError);
    if (typeof message === 'string') expect((err as Error).message).toBe(message);
    else expect((err as Error).message).toMatch(message);
  });

  it('matches JSON fields case-insensitively like encoding/json', () => {
    expect(decodeContinue(b64('{"V":"meta.k8s.io/v1","RV":4,"Start":"a"}'))).toMatchObject({ rv: 4, start: 'a' });
  });

  it('cleans paths like Go path.Clean', () => {
    expect(cleanPath('/a/./b/../c//d/')).toBe('/a/c/d');
    expect(cleanPath('/../x')).toBe('/x');
    expect(cleanPath('a/../../b')).toBe('../b');
    expect(cleanPath('')).toBe('.');
  });
});

const etcdBin = findEtcdBinary();
const describeEtcd = etcdBin ? describe : describe.skip;
if (!etcdBin) console.warn('continue.test.ts: etcd not found, skipping the real-etcd paging test');

describeEtcd('continue token against a real etcd', () => {
  let etcd: EtcdProcess;
  let client: Etcd3;
  beforeAll(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.endpoint });
  });
  afterAll(async () => {
    client?.close();
    await etcd?.stop();
  });

  it('pages a prefix exactly: each token resumes strictly after the last key, at the first page revision', async () => {
    const prefix = '/registry/pods/';
    const names = ['default/a', 'default/a0', 'default/b', 'kube-system/c', 'kube-system/d'];
    for (const n of names) await client.put(prefix + n).value('{}');
    // A key that shares the textual prefix of the collection must never show up.
    await client.put('/registry/podsx/default/z').value('{}');
    const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);

    const first = await client.getAll().prefix(prefix).limit(2).sort('Key', 'Ascend').exec();
    const rv = Number(first.header.revision);
    const seen = first.kvs.map((kv) => kv.key.toString());
    let token = prepareContinueToken(seen[seen.length - 1]!, prefix, rv);
    // A write after the first page must not appear in later pages (they read at rv).
    await client.put(prefix + 'default/b').value('{"changed":true}');
    await client.put(prefix + 'default/aa').value('{}');
    for (;;) {
      const { key, rv: atRev } = decodeContinue(token, prefix);
      expect(atRev).toBe(rv);
      const page = await client.getAll().inRange({ start: key, end }).limit(2).sort('Key', 'Ascend').revision(atRev).exec();
      const keys = page.kvs.map((kv) => kv.key.toString());
      seen.push(...keys);
      expect(page.kvs.every((kv) => Number(kv.mod_revision) <= rv)).toBe(true);
      if (!page.more) break;
      token = prepareContinueToken(keys[keys.length - 1]!, prefix, rv);
    }
    expect(seen).toEqual(names.map((n) => prefix + n));
  });
});
