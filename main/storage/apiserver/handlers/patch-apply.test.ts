import { describe, expect, it } from 'vitest';
import { applyPatch, mergePatch, patchTypeOf } from './patch-apply.js';

describe('patch application', () => {
  it('merge patch (RFC 7386): null deletes, objects merge, lists replace', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { a: null, b: { c: 5 }, l: [3] })).toEqual({ b: { c: 5, d: 3 }, l: [3] });
  });

  it('strategic merge: named lists merge by key, $setElementOrder orders, directives apply', () => {
    const cur = { spec: { containers: [{ name: 'a', image: '1', env: [{ name: 'X', value: 'x' }] }, { name: 'b', image: '1' }], finalizers: ['f1', 'f2'] } };
    const patch = {
      spec: {
        '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }],
        containers: [{ name: 'a', image: '2' }, { name: 'c', $patch: 'delete' }],
        '$deleteFromPrimitiveList/finalizers': ['f1'],
      },
    };
    expect(applyPatch('strategic', cur, patch)).toEqual({
      spec: { containers: [{ name: 'b', image: '1' }, { name: 'a', image: '2', env: [{ name: 'X', value: 'x' }] }], finalizers: ['f2'] },
    });
    // The same patch as a plain merge patch replaces the list.
    expect((applyPatch('merge', cur, { spec: { containers: [{ name: 'a' }] } }) as any).spec.containers).toEqual([{ name: 'a' }]);
  });

  it('JSON patch (RFC 6902): add, replace, remove, test, move, copy; failures are Status errors', () => {
    const doc = { metadata: { labels: { a: '1' } }, list: [1, 2] };
    const out = applyPatch('json', doc, [
      { op: 'add', path: '/metadata/labels/b', value: '2' },
      { op: 'replace', path: '/list/0', value: 9 },
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'test', path: '/metadata/labels/a', value: '1' },
      { op: 'copy', from: '/metadata/labels/a', path: '/metadata/labels/c' },
      { op: 'move', from: '/metadata/labels/b', path: '/metadata/labels/d' },
      { op: 'remove', path: '/list/1' },
    ]);
    expect(out).toEqual({ metadata: { labels: { a: '1', c: '1', d: '2' } }, list: [9, 3] });
    expect(doc.list).toEqual([1, 2]);
    expect(() => applyPatch('json', doc, [{ op: 'test', path: '/list/0', value: 5 }])).toThrow(expect.objectContaining({ code: 422 }));
    expect(() => applyPatch('json', doc, [{ op: 'remove', path: '/nope' }])).toThrow(expect.objectContaining({ code: 422 }));
  });

  it('recognises the patch content types', () => {
    expect(patchTypeOf('application/strategic-merge-patch+json; charset=utf-8')).toBe('strategic');
    expect(patchTypeOf('application/merge-patch+json')).toBe('merge');
    expect(patchTypeOf('application/json-patch+json')).toBe('json');
    expect(patchTypeOf('application/apply-patch+yaml')).toBe('apply');
    expect(patchTypeOf('application/json')).toBeUndefined();
  });
});
