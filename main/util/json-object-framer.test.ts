import { describe, it, expect } from 'vitest';
import { JsonObjectFramer } from './json-object-framer.js';

describe('JsonObjectFramer', () => {
  it('frames objects across arbitrary chunk boundaries, with braces and quotes inside strings', () => {
    const objs = [
      { type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '5' }, note: 'x } { "y" \\ \u00e9' } },
      { type: 'BOOKMARK', object: { metadata: { resourceVersion: '6', annotations: { 'k8s.io/initial-events-end': 'true' } } } },
      { type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old resource version: 1 (5)' } },
    ];
    const text = objs.map((o) => JSON.stringify(o)).join('\n') + '\n';
    for (const size of [1, 2, 3, 7, 64, text.length]) {
      const f = new JsonObjectFramer();
      const got: unknown[] = [];
      for (let i = 0; i < text.length; i += size) for (const o of f.push(text.slice(i, i + size))) got.push(JSON.parse(o));
      expect(got).toEqual(objs);
      expect(f.pending).toBe(0);
    }
  });

  it('does not need newlines between objects and keeps only the unfinished object', () => {
    const f = new JsonObjectFramer();
    expect(f.push('{"a":1}{"b":{"c":2}}{"d":')).toEqual(['{"a":1}', '{"b":{"c":2}}']);
    expect(f.pending).toBe('{"d":'.length);
    expect(f.push('3}')).toEqual(['{"d":3}']);
    expect(f.pending).toBe(0);
  });

  it('rejects an unbalanced stream', () => {
    expect(() => new JsonObjectFramer().push('{"a":1}}')).toThrow(/unbalanced/);
  });
});
