import { describe, expect, it } from 'vitest';
import { resolveProfile, withGates } from '../routing/profiles.js';
import { clusterModelOf, gatesFromCluster } from './cluster-model.js';

describe('gatesFromCluster', () => {
  it('takes every reported gate the profile may set, and says why it leaves the others', () => {
    const p = resolveProfile('v1.36.2');
    const { apply, rows } = gatesFromCluster(p, {
      ListFromCacheSnapshot: { enabled: false, stage: 'BETA' },
      ConsistentListFromCache: { enabled: true, stage: '' },
      WatchFromStorageWithoutResourceVersion: { enabled: true, stage: 'DEPRECATED' },
      SomethingElse: { enabled: true, stage: 'ALPHA' },
    });
    expect(apply).toEqual({ ListFromCacheSnapshot: false, ConsistentListFromCache: true });
    const row = (n: string) => rows.find((r) => r.name === n)!;
    expect(row('ListFromCacheSnapshot')).toEqual({ name: 'ListFromCacheSnapshot', cluster: false, stage: 'BETA', profile: true });
    expect(row('ConsistentListFromCache')).toEqual({ name: 'ConsistentListFromCache', cluster: true, stage: 'GA', profile: true });
    expect(row('WatchFromStorageWithoutResourceVersion').note).toBe('locked to false in the 1.34–1.36 profile');
    expect(row('WatchList').note).toBe('not reported by the cluster: the release default');
    expect(rows.some((r) => r.name === 'SomethingElse')).toBe(false);
    // Applied, the profile's rows show the cluster's value.
    const applied = withGates(p, apply);
    const model = clusterModelOf({ from: 'metrics', features: { ListFromCacheSnapshot: { enabled: false, stage: 'BETA' } }, gatesHow: 'x', progressTrusted: true, progressHow: 'y' }, applied);
    expect(model.gates.find((r) => r.name === 'ListFromCacheSnapshot')).toMatchObject({ cluster: false, profile: false });
  });

  it('a gate locked differently in the profile is left, with a note', () => {
    const p = resolveProfile('v1.36.2');
    const { apply, rows } = gatesFromCluster(p, { ConsistentListFromCache: { enabled: false, stage: '' } });
    expect(apply).toEqual({});
    expect(rows.find((r) => r.name === 'ConsistentListFromCache')!.note).toBe('locked to true in the 1.34–1.36 profile');
  });
});
