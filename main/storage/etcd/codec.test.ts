import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import { decodeValue, encodeJSON, ENCRYPTED_ANNOTATION, UNDECODABLE_ANNOTATION } from './codec.js';

// Bytes are built here field by field with a raw Writer, independent of the decoder's schema.
const W = () => protobuf.Writer.create();
const str = (w: protobuf.Writer, field: number, s: string) => w.uint32((field << 3) | 2).string(s);
const msg = (w: protobuf.Writer, field: number, inner: Uint8Array) => w.uint32((field << 3) | 2).bytes(inner);
const mapEntry = (k: string, v: string) => {
  const e = W();
  str(e, 1, k);
  str(e, 2, v);
  return e.finish();
};

function objectMeta(): Uint8Array {
  const w = W();
  str(w, 1, 'nginx');
  str(w, 3, 'default');
  str(w, 5, '2b1c-uid');
  w.uint32((7 << 3) | 0).int64(3); // generation
  const t = W();
  t.uint32((1 << 3) | 0).int64(1700000000);
  t.uint32((2 << 3) | 0).int32(0);
  msg(w, 8, t.finish());
  msg(w, 11, mapEntry('app', 'web'));
  msg(w, 11, mapEntry('tier', 'front'));
  msg(w, 12, mapEntry('note', 'hi'));
  str(w, 13 /* ownerReferences: skipped */, 'ignored');
  return w.finish();
}

function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const tm = W();
  str(tm, 1, apiVersion);
  str(tm, 2, kind);
  const u = W();
  msg(u, 1, tm.finish());
  msg(u, 2, raw);
  str(u, 3, '');
  str(u, 4, '');
  return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), Buffer.from(u.finish())]);
}

describe('decodeValue', () => {
  it('decodes a protobuf Pod: metadata, nodeName, phase', () => {
    const pod = W();
    msg(pod, 1, objectMeta());
    const spec = W();
    str(spec, 1 /* volumes, wrong type on purpose is fine: skipped */, 'x');
    str(spec, 10, 'node-7');
    msg(pod, 2, spec.finish());
    const status = W();
    str(status, 1, 'Running');
    str(status, 2, 'ignored');
    msg(pod, 3, status.finish());
    const value = envelope('v1', 'Pod', pod.finish());
    const s = decodeValue('/registry/pods/default/nginx', value, 42);
    expect(s.encoding).toBe('protobuf');
    expect(s.resourceVersion).toBe(42);
    expect(s.size).toBe(value.length);
    expect(s.object).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'nginx',
        namespace: 'default',
        uid: '2b1c-uid',
        generation: 3,
        creationTimestamp: '2023-11-14T22:13:20Z',
        labels: { app: 'web', tier: 'front' },
        annotations: { note: 'hi' },
        resourceVersion: '42',
      },
      spec: { nodeName: 'node-7' },
      status: { phase: 'Running' },
    });
  });

  it('decodes what graceful deletion reads: deletionTimestamp, deletionGracePeriodSeconds, finalizers, terminationGracePeriodSeconds', () => {
    const meta = W();
    str(meta, 1, 'web-0');
    str(meta, 3, 'default');
    const t = W();
    t.uint32((1 << 3) | 0).int64(1700000030);
    msg(meta, 9, t.finish());
    meta.uint32((10 << 3) | 0).int64(30);
    str(meta, 14, 'example.com/a');
    str(meta, 14, 'example.com/b');
    const pod = W();
    msg(pod, 1, meta.finish());
    const spec = W();
    spec.uint32((4 << 3) | 0).int64(45);
    str(spec, 10, 'node-1');
    msg(pod, 2, spec.finish());
    const s = decodeValue('/registry/pods/default/web-0', envelope('v1', 'Pod', pod.finish()), 9);
    expect(s.object.metadata).toMatchObject({ deletionTimestamp: '2023-11-14T22:13:50Z', deletionGracePeriodSeconds: 30, finalizers: ['example.com/a', 'example.com/b'] });
    expect(s.object.spec).toEqual({ terminationGracePeriodSeconds: 45, nodeName: 'node-1' });
  });

  it('decodes only metadata of other protobuf kinds (ConfigMap data is not a Pod spec)', () => {
    const cm = W();
    msg(cm, 1, objectMeta());
    msg(cm, 2, mapEntry('k', 'v')); // data
    const s = decodeValue('/registry/configmaps/default/nginx', envelope('v1', 'ConfigMap', cm.finish()), 7);
    expect(s.encoding).toBe('protobuf');
    expect(s.object.kind).toBe('ConfigMap');
    expect(s.object.metadata.labels).toEqual({ app: 'web', tier: 'front' });
    expect(s.object.spec).toBeUndefined();
  });

  it('takes JSON as is and stamps the mod revision', () => {
    const v = Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns', resourceVersion: '' }, data: { x: '1' } }));
    const s = decodeValue('/registry/configmaps/ns/a', v, 9);
    expect(s.encoding).toBe('json');
    expect(s.object.data).toEqual({ x: '1' });
    expect(s.object.metadata.resourceVersion).toBe('9');
  });

  it('fills name/namespace from the key for JSON without metadata', () => {
    const s = decodeValue('/registry/widgets/ns1/w', Buffer.from('{"spec":{}}'), 3, '/registry/widgets/');
    expect(s.object.metadata).toMatchObject({ name: 'w', namespace: 'ns1', resourceVersion: '3' });
  });

  it('marks encrypted values with their provider', () => {
    const v = Buffer.concat([Buffer.from('k8s:enc:aescbc:v1:key1:'), Buffer.from([0x00, 0xff, 0x13, 0x3a, 0x99])]);
    const s = decodeValue('/registry/secrets/kube-system/tok', v, 5, '/registry/secrets/');
    expect(s.encoding).toBe('encrypted');
    expect(s.object.metadata).toEqual({
      name: 'tok',
      namespace: 'kube-system',
      resourceVersion: '5',
      annotations: { [ENCRYPTED_ANNOTATION]: 'k8s:enc:aescbc:v1:key1' },
    });
  });

  it('never throws on garbage', () => {
    const cases: Buffer[] = [
      Buffer.alloc(0),
      Buffer.from('not json'),
      Buffer.from('{broken json'),
      Buffer.from('[1,2,3]'),
      Buffer.from([0x6b, 0x38, 0x73, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f]),
      Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x12, 0x50, 0x01]), // raw length beyond the buffer
      Buffer.from([0x6b, 0x38, 0x73]),
      Buffer.from([0xd9, 0xd9, 0xf7, 0xa1]),
    ];
    for (let i = 0; i < 200; i++) cases.push(Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), Buffer.from(Array.from({ length: i % 40 }, (_, j) => (i * 31 + j * 17) & 0xff))]));
    for (const c of cases) {
      const s = decodeValue('/registry/minions/n1', c, 11);
      expect(s.object.metadata.name).toBeTruthy();
      expect(s.object.metadata.resourceVersion).toBe('11');
      expect(['undecodable', 'protobuf']).toContain(s.encoding);
    }
    const bad = decodeValue('/registry/pods/ns/p', Buffer.from('{broken'), 1, '/registry/pods/');
    expect(bad.encoding).toBe('undecodable');
    expect(bad.object.metadata.namespace).toBe('ns');
    expect(bad.object.metadata.annotations?.[UNDECODABLE_ANNOTATION]).toMatch(/decode failed/);
  });
});

describe('encodeJSON', () => {
  it('blanks resourceVersion and selfLink like PrepareObjectForStorage', () => {
    const out = JSON.parse(encodeJSON({ kind: 'X', metadata: { name: 'a', resourceVersion: '12', selfLink: '/x', uid: 'u' }, spec: { a: 1 } }).toString());
    expect(out).toEqual({ kind: 'X', metadata: { name: 'a', uid: 'u' }, spec: { a: 1 } });
  });
});
