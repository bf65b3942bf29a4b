import { describe, expect, it } from 'vitest';
import { collectionKey, guessKey, keyFor, parseKey, prefixRangeEnd, resourcePrefix } from './keys.js';
import { StatusError } from '../errors.js';

describe('etcd key layout', () => {
  it('applies SpecialDefaultResourcePrefixes', () => {
    expect(resourcePrefix('pods', '')).toBe('pods');
    expect(resourcePrefix('replicationcontrollers', '')).toBe('controllers');
    expect(resourcePrefix('endpoints', '')).toBe('services/endpoints');
    expect(resourcePrefix('services', '')).toBe('services/specs');
    expect(resourcePrefix('nodes', '')).toBe('minions');
    expect(resourcePrefix('ingresses', 'networking.k8s.io')).toBe('ingress');
    expect(resourcePrefix('ingresses', 'extensions')).toBe('ingress');
    expect(resourcePrefix('deployments', 'apps')).toBe('deployments');
    expect(resourcePrefix('widgets', 'example.com', { customResource: true })).toBe('example.com/widgets');
  });

  it('builds keys and collection keys', () => {
    expect(collectionKey('/registry', 'pods')).toBe('/registry/pods/');
    expect(collectionKey('registry/', 'services/specs')).toBe('/registry/services/specs/');
    expect(keyFor('/registry', 'pods', 'default', 'nginx')).toBe('/registry/pods/default/nginx');
    expect(keyFor('/registry', 'minions', undefined, 'node-1')).toBe('/registry/minions/node-1');
    expect(keyFor('/registry', 'services/specs', 'default', 'kubernetes')).toBe('/registry/services/specs/default/kubernetes');
  });

  it('rejects traversal and separators in names', () => {
    for (const bad of ['..', '.', 'a/b', '']) {
      expect(() => keyFor('/registry', 'pods', 'default', bad)).toThrow(StatusError);
    }
    expect(() => keyFor('/registry', 'pods', '..', 'x')).toThrow(/Namespace parameter invalid/);
  });

  it('parses keys relative to a collection', () => {
    expect(parseKey('/registry/pods/default/nginx', '/registry/pods/')).toEqual({ namespace: 'default', name: 'nginx' });
    expect(parseKey('/registry/minions/node-1', '/registry/minions/')).toEqual({ name: 'node-1' });
    expect(parseKey('/registry/pods/../secrets/x', '/registry/pods/')).toBeUndefined();
    expect(parseKey('/registry/pods/a/b/c', '/registry/pods/')).toBeUndefined();
    expect(parseKey('/registry/podsx/a', '/registry/pods/')).toBeUndefined();
    expect(guessKey('/registry/pods/default/nginx')).toEqual({ namespace: 'default', name: 'nginx' });
    expect(guessKey('/registry/minions/n1')).toEqual({ name: 'n1' });
  });

  it('computes prefix range ends', () => {
    expect(prefixRangeEnd(Buffer.from('/registry/pods/')).toString()).toBe('/registry/pods0');
    expect(prefixRangeEnd(Buffer.from([0x61, 0xff]))).toEqual(Buffer.from([0x62]));
    expect(prefixRangeEnd(Buffer.from([0xff]))).toEqual(Buffer.from([0]));
  });
});
