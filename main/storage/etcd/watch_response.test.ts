// decodeWatchResponse against the generic loader's decoder for the same rpc.proto: the same object
// for every field etcd sends (defaults, negatives, revisions past 2^32, absent prev_kv, deletes,
// fields it does not know), and loud errors for broken bytes.
import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import { watchMethod, type WatchResponse } from './client.js';
import { decodeWatchResponse } from './watch_response.js';

const m = watchMethod();
const encode = (r: Partial<WatchResponse>): Buffer => m.responseSerialize(r as WatchResponse);
const kv = (key: string, value: string, mod: number, create = mod, version = 1) => ({ key: Buffer.from(key), value: Buffer.from(value), mod_revision: mod, create_revision: create, version, lease: 0 });

describe('decodeWatchResponse', () => {
  const cases: Array<[string, Partial<WatchResponse>]> = [
    ['created reply', { header: { cluster_id: 2 ** 63 + 2 ** 20, member_id: 2 ** 60 + 12_345, revision: 51_234, raft_term: 2 }, watch_id: 0, created: true }],
    ['progress notification', { header: { cluster_id: 1, member_id: 2, revision: 2 ** 40 + 7, raft_term: 3 } }],
    [
      'puts and a delete with prev_kv',
      {
        header: { cluster_id: 1, member_id: 2, revision: 70_001, raft_term: 3 },
        watch_id: 5,
        events: [
          { type: 'PUT', kv: kv('/registry/configmaps/ns-a/cm-1', '{"kind":"ConfigMap","data":{"é":"ü"}}', 70_000), prev_kv: null },
          { type: 'PUT', kv: kv('/registry/configmaps/ns-a/cm-2', '{}', 70_001, 12, 9), prev_kv: kv('/registry/configmaps/ns-a/cm-2', '{"old":true}', 69_000, 12, 8) },
          { type: 'DELETE', kv: { ...kv('/registry/configmaps/ns-a/cm-3', '', 70_001, 0, 0) }, prev_kv: kv('/registry/configmaps/ns-a/cm-3', 'k8s\u0000proto', 2 ** 33, 2 ** 33) },
        ],
      },
    ],
    ['cancelled, compacted', { header: { cluster_id: 1, member_id: 2, revision: 90, raft_term: 3 }, watch_id: 3, canceled: true, compact_revision: 88, cancel_reason: 'mvcc: required revision has been compacted' }],
    ['negative watch id, fragment', { header: { cluster_id: 1, member_id: 2, revision: 90, raft_term: 3 }, watch_id: -1, fragment: true, cancel_reason: 'ünïcode ✓' }],
    ['empty message', {}],
  ];
  for (const [name, r] of cases) {
    it(`decodes ${name} as the loader does`, () => {
      const bytes = encode(r);
      const want = m.responseDeserialize(bytes);
      expect(decodeWatchResponse(bytes)).toEqual(want);
    });
  }

  it('skips fields it does not know and keeps what follows', () => {
    const base = encode(cases[2]![1]);
    const w = protobuf.Writer.create();
    w.uint32((99 << 3) | 2).bytes(Buffer.from('future field'));
    w.uint32((98 << 3) | 0).uint64(2 ** 50);
    w.uint32((97 << 3) | 1).fixed64(1);
    w.uint32((96 << 3) | 5).fixed32(1);
    const bytes = Buffer.concat([Buffer.from(w.finish()), base]);
    expect(decodeWatchResponse(bytes)).toEqual(m.responseDeserialize(base));
  });

  it('gives keys and values as views of the message, not copies', () => {
    const bytes = encode(cases[2]![1]);
    const ev = decodeWatchResponse(bytes).events[0]!;
    expect(ev.kv.value.buffer).toBe(bytes.buffer);
  });

  it('fails on truncated bytes and unknown event types instead of inventing data', () => {
    const bytes = encode(cases[2]![1]);
    for (const cut of [1, 10, bytes.length - 3]) expect(() => decodeWatchResponse(bytes.subarray(0, cut))).toThrow(/truncated|varint/);
    const w = protobuf.Writer.create();
    w.uint32((11 << 3) | 2).fork().uint32((1 << 3) | 0).uint32(7).ldelim();
    expect(() => decodeWatchResponse(Buffer.from(w.finish()))).toThrow(/unknown event type 7/);
  });
});
