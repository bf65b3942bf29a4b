import { describe, expect, it } from 'vitest';
import {
  allProfiles,
  etcdSupportsRequestWatchProgress,
  FeatureGateError,
  profile1_27,
  profile1_28,
  profile1_31,
  profile1_34,
  profile1_37,
  profileForServerVersion,
  resolveProfile,
  withGates,
} from './profiles.js';

describe('profiles', () => {
  it('ships gate defaults per release (§1)', () => {
    expect(allProfiles.map((p) => p.name)).toEqual(['1.27', '1.28', '1.31', '1.33', '1.34', '1.37']);
    expect(profile1_28.gates.ConsistentListFromCache).toBe(false);
    expect(profile1_31.gates).toMatchObject({ ConsistentListFromCache: true, ResilientWatchCacheInitialization: true, WatchList: false });
    expect(profile1_34.gates).toMatchObject({ WatchList: true, ListFromCacheSnapshot: true, WatchFromStorageWithoutResourceVersion: false });
    expect(profile1_37.gates.ConsistentListFromCacheSkipTimeoutFallback).toBe(false);
  });

  it.each([
    ['1.34', '1.34'],
    ['v1.30.2', '1.30'],
    ['1.29', '1.28'],
    ['v1.28.3', '1.28.3'],
    ['v1.28.9', '1.28'],
    ['v1.27.13', '1.27.13'],
    ['1.27', '1.27'],
    ['v1.32.4', '1.32'],
    ['1.33', '1.33'],
    ['v1.36.2-gke.100', '1.34'],
    ['master', '1.37'],
    ['v1.40.0', '1.37'],
    ['v1.20.2', '1.20'],
  ])('resolveProfile(%s) → %s', (input, name) => {
    expect(resolveProfile(input).name).toBe(name);
  });

  it('patch releases change RV "" watch routing and 1.30/1.32 changes apply', () => {
    expect(resolveProfile('v1.28.3').rules.watchRVEmpty).toBe('storage');
    expect(resolveProfile('v1.29.4').rules.watchRVEmpty).toBe('gate');
    expect(resolveProfile('v1.27.13').rules.watchRVEmpty).toBe('gate');
    expect(resolveProfile('v1.20.2').rules.watchRVEmpty).toBe('cache');
    expect(resolveProfile('1.30').rules.consistentReadCheck).toBe('RV==""');
    expect(resolveProfile('1.32').gates.WatchList).toBe(true);
    expect(profileForServerVersion('v1.31.0').name).toBe('1.31');
    expect(() => resolveProfile('banana')).toThrow('not a Kubernetes version');
  });

  it('withGates overrides, refuses locked and unknown gates with featuregate texts', () => {
    const p = withGates(profile1_28, { ConsistentListFromCache: true });
    expect(p.gates.ConsistentListFromCache).toBe(true);
    expect(p.overrides).toEqual({ ConsistentListFromCache: true });
    expect(profile1_28.gates.ConsistentListFromCache).toBe(false);
    expect(() => withGates(profile1_34, { ConsistentListFromCache: false })).toThrow(new FeatureGateError('cannot set feature gate ConsistentListFromCache to false, feature is locked to true'));
    expect(() => withGates(profile1_27, { ConsistentListFromCache: true })).toThrow(/^unrecognized feature gate: ConsistentListFromCache/);
    expect(() => withGates(profile1_34, { Bogus: true } as never)).toThrow('unrecognized feature gate: Bogus');
    // Setting a locked gate to its own value is allowed, as upstream.
    expect(withGates(profile1_34, { ConsistentListFromCache: true }).overrides).toEqual({});
  });

  it.each([
    ['3.4.23', false],
    ['3.4.31', true],
    ['3.5.12', false],
    ['3.5.13', true],
    ['3.6.0', true],
    ['3.3.27', false],
    ['garbage', false],
  ])('etcdSupportsRequestWatchProgress(%s) = %s', (v, want) => {
    expect(etcdSupportsRequestWatchProgress(v)).toBe(want);
  });

  it('one old member makes the cluster unsupported', () => {
    expect(etcdSupportsRequestWatchProgress('3.5.16', '3.4.23')).toBe(false);
    expect(etcdSupportsRequestWatchProgress()).toBe(false);
  });
});

describe('the watch-list end bookmark per release', () => {
  it('follows the initial events at once from 1.32 (setInitialEventsEndBookmarkIfRequested); waits for the ticker before', () => {
    const when = (v: string) => resolveProfile(v).rules.initialEventsEndBookmark;
    expect(['1.27', '1.28', '1.29', '1.30', '1.31'].map(when)).toEqual(['ticker', 'ticker', 'ticker', 'ticker', 'ticker']);
    expect(['1.32', '1.33', '1.34', '1.36', 'master'].map(when)).toEqual(['afterInitialEvents', 'afterInitialEvents', 'afterInitialEvents', 'afterInitialEvents', 'afterInitialEvents']);
  });
});
