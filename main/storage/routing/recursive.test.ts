import { describe, expect, it } from 'vitest';
import { parseFieldSelector } from '../selectors/field_selector.js';
import { isRecursive, singleKeyName } from './recursive.js';

describe('one recursion rule for the endpoint, what-if and audit events', () => {
  const pods = { namespaced: true };
  it('a pinned name reads one key only where the key can be built', () => {
    expect(isRecursive('list', 'metadata.name=x', { ...pods, namespace: 'default' })).toBe(false);
    // Cluster-wide: NamespaceKeyFunc cannot build the key, so the list stays recursive (from the cache).
    expect(isRecursive('list', 'metadata.name=x', pods)).toBe(true);
    expect(isRecursive('watch', 'metadata.name==x', pods)).toBe(true);
    expect(isRecursive('list', 'metadata.name=x', { namespaced: false })).toBe(false);
  });
  it('other selectors, a negated name, GETs and named paths', () => {
    expect(isRecursive('list', 'spec.nodeName=n1', { ...pods, namespace: 'd' })).toBe(true);
    expect(isRecursive('list', 'metadata.name!=x', { ...pods, namespace: 'd' })).toBe(true);
    expect(isRecursive('list', 'metadata.name=x,spec.nodeName=n', { ...pods, namespace: 'd' })).toBe(false);
    expect(isRecursive('get', undefined, { ...pods, namespace: 'd' })).toBe(false);
    expect(isRecursive('watch', undefined, { ...pods, namespace: 'd', name: 'x' })).toBe(false);
    expect(isRecursive('list', 'a=b=c', pods)).toBe(true);
  });
  it('singleKeyName gives the endpoint the name it reads', () => {
    expect(singleKeyName(parseFieldSelector('metadata.name=web-1'), { namespaced: true, namespace: 'd' })).toBe('web-1');
    expect(singleKeyName(parseFieldSelector('metadata.name=web-1'), { namespaced: true })).toBeUndefined();
  });
});
