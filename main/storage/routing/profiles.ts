// Routing profiles: what a given Kubernetes release does with a read, as data. The router
// (decide.ts) is one pure function over (request, cache state, profile), so the same request can
// be shown under 1.27 beside 1.34. Gate stages and defaults follow each release branch's
// pkg/features/kube_features.go (versioned specs from 1.32 on).

export type GateName =
  | 'WatchList'
  | 'ConsistentListFromCache'
  | 'ListFromCacheSnapshot'
  | 'ResilientWatchCacheInitialization'
  | 'WatchFromStorageWithoutResourceVersion'
  | 'ConsistentListFromCacheSkipTimeoutFallback'
  | 'DetectCacheInconsistency';

export const gateNames: readonly GateName[] = [
  'WatchList',
  'ConsistentListFromCache',
  'ListFromCacheSnapshot',
  'ResilientWatchCacheInitialization',
  'WatchFromStorageWithoutResourceVersion',
  'ConsistentListFromCacheSkipTimeoutFallback',
  'DetectCacheInconsistency',
];

export type GateStage = 'absent' | 'alpha' | 'beta' | 'ga' | 'deprecated' | 'removed';

export interface GateSpec {
  stage: GateStage;
  /** The value the release uses unless overridden (for absent/removed: the behaviour baked in). */
  default: boolean;
  /** LockToDefault: the release refuses --feature-gates overrides. */
  locked: boolean;
}

export interface ProfileRules {
  /**
   * Who routes LISTs: 'cacher' = Cacher.GetList + shouldDelegateList (≤1.32);
   * 'delegator' = CacheDelegator + delegator.ShouldDelegateList with ShouldDelegateExactRV /
   * ShouldDelegateContinue / ShouldDelegateConsistentRead (1.33+).
   */
  router: 'cacher' | 'delegator';
  /**
   * 'hasLimit': any limit with RV != "0" goes to etcd, whatever the RVM (≤1.30).
   * 'legacyExact': only limit + RV n (not ""/"0") + no RVM is an exact read (1.31+, commit
   * 54645c663 "cache supports pagination").
   */
  limitRule: 'hasLimit' | 'legacyExact';
  /**
   * How a consistent read is recognised once ConsistentListFromCache is on: 'listRV==0' (1.28,
   * 1.29: RV "0" also fetched etcd's revision), 'RV==""' (1.30+), 'none' (no such gate).
   */
  consistentReadCheck: 'none' | 'listRV==0' | 'RV==""';
  /**
   * ConsistentReadSupported() also requires etcd to support RequestWatchProgress (1.31+:
   * storage/feature/feature_support_checker.go). Before 1.31 the alpha gate alone decided.
   */
  consistentReadNeedsEtcdProgress: boolean;
  /** A consistent LIST whose 3s wait times out: '504' (1.28–1.30) or 'fallback' to etcd (1.31+). */
  consistentReadTimeout: '504' | 'fallback';
  /** When a LIST's freshness wait requests progress notifies. */
  listWaitProgress: 'gate' | 'consistentReadSupported';
  /** When a GET's freshness wait requests progress notifies (§2.4). */
  getWaitProgress: 'never' | 'gate' | 'consistentReadSupported';
  /** When a watch-list's initial wait requests progress notifies (§2.5). */
  watchListWaitProgress: 'never' | 'gate' | 'etcd' | 'consistentReadSupported';
  /**
   * A watch-list request on an etcd without RequestWatchProgress gets one ERROR event (500)
   * instead of a stream (1.31+, commit 2aadb1cb3).
   */
  watchListRequiresEtcdProgress: boolean;
  /**
   * A legacy watch with RV "" (no sendInitialEvents): 'storage' = always etcd (1.27.0–.12,
   * 1.28.0–.8, 1.29.0–.3); 'gate' = etcd only when WatchFromStorageWithoutResourceVersion is on
   * (later patches, 1.30–1.32); 'cache' = always the cache (≤1.26, 1.33+).
   */
  watchRVEmpty: 'storage' | 'gate' | 'cache';
  /** Retry-After of the 429 for an unready cache: 1s (1.31–1.32) or clamp(e^(0.06·s),1,30) (1.33+). */
  retryAfter: 'fixed1' | 'exponential';
  /**
   * A non-numeric LIST resourceVersion that reaches the cache: 'cacher500' (≤1.32, the Cacher
   * parses it and the handler turns the storage InvalidError into a 500), 'storage400'
   * (storage.ValidateListOptions runs first: 400 `invalid resource version: ...`).
   */
  listInvalidRV: 'cacher500' | 'storage400';
  /**
   * When a watch-list's k8s.io/initial-events-end bookmark is sent: 'afterInitialEvents' = right
   * after them, at the cache's RV on registration (1.32+, setInitialEventsEndBookmarkIfRequested);
   * 'ticker' = with the next bookmark tick, after any live events already due (1.27–1.31).
   */
  initialEventsEndBookmark: 'afterInitialEvents' | 'ticker';
  /**
   * A watch-list with RV "": 'wait' = the cache waits (≤3s, then ERROR 504) for etcd's revision
   * before streaming (1.30+); 'holdBookmark' = the cache's state streams at once and the end
   * bookmark is held until the cache reaches etcd's revision (1.27–1.29).
   */
  watchListRVEmpty: 'wait' | 'holdBookmark';
  /** The etcd3 store (no cache) can serve sendInitialEvents itself (1.29+). */
  etcdWatchList: boolean;
  /**
   * Before 1.29, whether the etcd3 store lets a backward-compatible request through instead of
   * refusing sendInitialEvents: allowWatchBookmarks=false with RV ""/"0" (1.28's exemption).
   */
  etcdWatchListCompatibleExemption: boolean;
  /** The 429 message may carry the last ListAndWatch error (1.33+). */
  notReadyMessageHasError: boolean;
  /** The watch-cache freshness wait (blockTimeout). */
  blockTimeoutMs: number;
  /**
   * With ListFromCacheSnapshot, the cacher's compactor drops snapshots below the compaction
   * revision kube-apiserver recorded in compact_rev_key, read every 15 s (1.34+, compactor.go).
   * 1.33's snapshots only leave with the history window.
   */
  snapshotCompactor: boolean;
}

export interface Profile {
  /** Short id, e.g. '1.34'. */
  name: string;
  /** The releases it stands for, e.g. '1.34–1.36'. */
  label: string;
  minor: number;
  /** Effective gate values (defaults, then overrides). */
  gates: Record<GateName, boolean>;
  gateSpecs: Record<GateName, GateSpec>;
  /** Gates the user changed from the release's default. */
  overrides: Partial<Record<GateName, boolean>>;
  rules: ProfileRules;
  /** What this profile does not model (patch-release nuances etc.). */
  notes: string[];
}

const absentOff: GateSpec = { stage: 'absent', default: false, locked: true };
const alphaOff: GateSpec = { stage: 'alpha', default: false, locked: false };
const betaOff: GateSpec = { stage: 'beta', default: false, locked: false };
const betaOn: GateSpec = { stage: 'beta', default: true, locked: false };
const gaLocked: GateSpec = { stage: 'ga', default: true, locked: true };
const removedOn: GateSpec = { stage: 'removed', default: true, locked: true };
const removedOff: GateSpec = { stage: 'removed', default: false, locked: true };
const deprecatedLockedOff: GateSpec = { stage: 'deprecated', default: false, locked: true };

function make(
  p: Omit<Profile, 'gates' | 'overrides'> & { gateSpecs: Record<GateName, GateSpec> },
): Profile {
  const gates = {} as Record<GateName, boolean>;
  for (const g of gateNames) gates[g] = p.gateSpecs[g].default;
  return Object.freeze({ ...p, gates: Object.freeze(gates), overrides: Object.freeze({}) }) as Profile;
}

const baseRules: ProfileRules = {
  router: 'delegator',
  limitRule: 'legacyExact',
  consistentReadCheck: 'RV==""',
  consistentReadNeedsEtcdProgress: true,
  consistentReadTimeout: 'fallback',
  listWaitProgress: 'consistentReadSupported',
  getWaitProgress: 'consistentReadSupported',
  watchListWaitProgress: 'consistentReadSupported',
  watchListRequiresEtcdProgress: true,
  watchRVEmpty: 'cache',
  retryAfter: 'exponential',
  listInvalidRV: 'storage400',
  initialEventsEndBookmark: 'afterInitialEvents',
  watchListRVEmpty: 'wait',
  etcdWatchList: true,
  etcdWatchListCompatibleExemption: true,
  notReadyMessageHasError: true,
  blockTimeoutMs: 3000,
  snapshotCompactor: true,
};

/** 1.27 as the talk presents it: RV="" LIST and WATCH go to etcd, any limit goes to etcd. */
export const profile1_27 = make({
  name: '1.27',
  label: '1.27',
  minor: 27,
  gateSpecs: {
    WatchList: alphaOff,
    ConsistentListFromCache: absentOff,
    ListFromCacheSnapshot: absentOff,
    ResilientWatchCacheInitialization: absentOff,
    WatchFromStorageWithoutResourceVersion: absentOff,
    ConsistentListFromCacheSkipTimeoutFallback: absentOff,
    DetectCacheInconsistency: absentOff,
  },
  rules: {
    ...baseRules,
    router: 'cacher',
    limitRule: 'hasLimit',
    consistentReadCheck: 'none',
    consistentReadNeedsEtcdProgress: false,
    consistentReadTimeout: '504',
    listWaitProgress: 'gate',
    getWaitProgress: 'never',
    watchListWaitProgress: 'never',
    watchListRequiresEtcdProgress: false,
    watchRVEmpty: 'storage',
    retryAfter: 'fixed1',
    listInvalidRV: 'cacher500',
    initialEventsEndBookmark: 'ticker',
    watchListRVEmpty: 'holdBookmark',
    etcdWatchList: false,
    etcdWatchListCompatibleExemption: false,
    notReadyMessageHasError: false,
    snapshotCompactor: false,
  },
  notes: [
    'RV="" watches go to etcd as in 1.27.0–1.27.12; 1.27.13+ added WatchFromStorageWithoutResourceVersion (beta, off) and serve them from the cache (resolveProfile("v1.27.13") models that).',
  ],
});

export const profile1_28 = make({
  name: '1.28',
  label: '1.28–1.30',
  minor: 28,
  gateSpecs: {
    WatchList: alphaOff,
    ConsistentListFromCache: alphaOff,
    ListFromCacheSnapshot: absentOff,
    ResilientWatchCacheInitialization: absentOff,
    WatchFromStorageWithoutResourceVersion: betaOff,
    ConsistentListFromCacheSkipTimeoutFallback: absentOff,
    DetectCacheInconsistency: absentOff,
  },
  rules: {
    ...profile1_27.rules,
    consistentReadCheck: 'listRV==0',
    watchRVEmpty: 'gate',
    etcdWatchListCompatibleExemption: true,
  },
  notes: [
    '1.28/1.29 rules: with ConsistentListFromCache on, RV "0" lists also fetch etcd\'s revision (listRV==0 check); 1.30 checks RV=="" (resolveProfile("1.30")).',
    '1.28.0–.8 and 1.29.0–.3 send RV="" watches to etcd unconditionally (before the WatchFromStorageWithoutResourceVersion backport); resolveProfile with the patch models that.',
    'GET freshness waits request progress only from 1.30 (with the gate on).',
  ],
});

export const profile1_31 = make({
  name: '1.31',
  label: '1.31–1.32',
  minor: 31,
  gateSpecs: {
    WatchList: alphaOff,
    ConsistentListFromCache: betaOn,
    ListFromCacheSnapshot: absentOff,
    ResilientWatchCacheInitialization: betaOn,
    WatchFromStorageWithoutResourceVersion: betaOff,
    ConsistentListFromCacheSkipTimeoutFallback: absentOff,
    DetectCacheInconsistency: absentOff,
  },
  rules: {
    ...baseRules,
    router: 'cacher',
    consistentReadTimeout: 'fallback',
    listWaitProgress: 'consistentReadSupported',
    getWaitProgress: 'gate',
    watchListWaitProgress: 'etcd',
    watchRVEmpty: 'gate',
    retryAfter: 'fixed1',
    listInvalidRV: 'cacher500',
    initialEventsEndBookmark: 'ticker',
    notReadyMessageHasError: false,
    snapshotCompactor: false,
  },
  notes: ['1.32 turns WatchList on by default (beta); resolveProfile("1.32") returns this profile with WatchList on.'],
});

export const profile1_33 = make({
  name: '1.33',
  label: '1.33',
  minor: 33,
  gateSpecs: {
    WatchList: { stage: 'beta', default: false, locked: false },
    ConsistentListFromCache: betaOn,
    ListFromCacheSnapshot: alphaOff,
    ResilientWatchCacheInitialization: betaOn,
    WatchFromStorageWithoutResourceVersion: deprecatedLockedOff,
    ConsistentListFromCacheSkipTimeoutFallback: absentOff,
    DetectCacheInconsistency: absentOff,
  },
  rules: { ...baseRules, snapshotCompactor: false },
  notes: [],
});

export const profile1_34 = make({
  name: '1.34',
  label: '1.34–1.36',
  minor: 34,
  gateSpecs: {
    WatchList: betaOn,
    ConsistentListFromCache: gaLocked,
    ListFromCacheSnapshot: betaOn,
    ResilientWatchCacheInitialization: gaLocked,
    WatchFromStorageWithoutResourceVersion: deprecatedLockedOff,
    ConsistentListFromCacheSkipTimeoutFallback: absentOff,
    DetectCacheInconsistency: betaOn,
  },
  rules: { ...baseRules },
  notes: ['WatchFromStorageWithoutResourceVersion is removed in 1.36 (it was locked off since 1.33: same routing).'],
});

export const profile1_37 = make({
  name: '1.37',
  label: 'master (1.37)',
  minor: 37,
  gateSpecs: {
    WatchList: betaOn,
    ConsistentListFromCache: removedOn,
    ListFromCacheSnapshot: betaOn,
    ResilientWatchCacheInitialization: removedOn,
    WatchFromStorageWithoutResourceVersion: removedOff,
    ConsistentListFromCacheSkipTimeoutFallback: alphaOff,
    DetectCacheInconsistency: betaOn,
  },
  rules: { ...baseRules },
  notes: ['Unreleased: master as read on 2026-07-23.'],
});

export const defaultProfile = profile1_34;

export const allProfiles: readonly Profile[] = [profile1_27, profile1_28, profile1_31, profile1_33, profile1_34, profile1_37];

/** Thrown for a gate override the release would refuse (its --feature-gates error text). */
export class FeatureGateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeatureGateError';
  }
}

/**
 * The profile with some gates set by hand, as `--feature-gates` would. A gate the release does
 * not know (absent or removed) fails as `unrecognized feature gate: X`; a locked gate set away
 * from its value fails as upstream's featuregate does.
 */
export function withGates(profile: Profile, overrides: Partial<Record<GateName, boolean>>): Profile {
  const gates = { ...profile.gates };
  const applied: Partial<Record<GateName, boolean>> = { ...profile.overrides };
  for (const [name, value] of Object.entries(overrides) as [string, boolean | undefined][]) {
    if (value === undefined) continue;
    if (!(gateNames as readonly string[]).includes(name)) throw new FeatureGateError(`unrecognized feature gate: ${name}`);
    const g = name as GateName;
    const spec = profile.gateSpecs[g];
    if (spec.stage === 'absent' || spec.stage === 'removed') {
      throw new FeatureGateError(`unrecognized feature gate: ${g} (not in Kubernetes ${profile.label})`);
    }
    if (spec.locked && value !== spec.default) {
      throw new FeatureGateError(`cannot set feature gate ${g} to ${value}, feature is locked to ${spec.default}`);
    }
    gates[g] = value;
    if (value === spec.default) delete applied[g];
    else applied[g] = value;
  }
  return Object.freeze({ ...profile, gates: Object.freeze(gates), overrides: Object.freeze(applied) }) as Profile;
}

function derive(base: Profile, name: string, label: string, minor: number, rules: Partial<ProfileRules>, gateSpecs: Partial<Record<GateName, GateSpec>>, note: string): Profile {
  const specs = { ...base.gateSpecs, ...gateSpecs };
  return make({ name, label, minor, gateSpecs: specs, rules: { ...base.rules, ...rules }, notes: [...base.notes, note] });
}

/**
 * The profile for a profile name or a Kubernetes version: '1.34', 'v1.30.2', '1.30' (→ the 1.28
 * rules with 1.30's changes), 'v1.36.2-gke.100', 'master'. Patch numbers matter where upstream
 * backported routing changes (RV="" watches in 1.27–1.29).
 */
export function resolveProfile(nameOrVersion: string): Profile {
  const s = nameOrVersion.trim();
  if (/^(master|latest|main)$/i.test(s)) return profile1_37;
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(s);
  if (!m) throw new Error(`not a Kubernetes version or profile name: "${nameOrVersion}"`);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const patch = m[3] === undefined ? undefined : Number(m[3]);
  if (major !== 1) throw new Error(`unsupported Kubernetes major version ${major} in "${nameOrVersion}"`);

  if (minor < 27) {
    return derive(
      profile1_27,
      `1.${minor}`,
      `1.${minor} (≤1.26 rules)`,
      minor,
      { watchRVEmpty: 'cache' },
      { WatchList: absentOff },
      'Before 1.27 a RV="" watch is served by the cache from its current state (treated like RV "0"), and there is no WatchList.',
    );
  }
  if (minor === 27) {
    if (patch !== undefined && patch >= 13) {
      return derive(profile1_27, `1.27.${patch}`, `1.27.13+`, 27, { watchRVEmpty: 'gate' }, { WatchFromStorageWithoutResourceVersion: betaOff },
        '1.27.13+ serves RV="" watches from the cache unless WatchFromStorageWithoutResourceVersion is on.');
    }
    return profile1_27;
  }
  if (minor === 28 || minor === 29) {
    const preBackport = patch !== undefined && ((minor === 28 && patch < 9) || (minor === 29 && patch < 4));
    if (preBackport) {
      return derive(profile1_28, `1.${minor}.${patch}`, `1.${minor}.${patch}`, minor, { watchRVEmpty: 'storage' }, { WatchFromStorageWithoutResourceVersion: absentOff },
        `1.${minor}.${patch} predates the WatchFromStorageWithoutResourceVersion backport: RV="" watches go to etcd.`);
    }
    return profile1_28;
  }
  if (minor === 30) {
    return derive(profile1_28, '1.30', '1.30', 30, { consistentReadCheck: 'RV==""', getWaitProgress: 'gate', watchListWaitProgress: 'gate', etcdWatchList: true, watchListRVEmpty: 'wait' }, {},
      '1.30 recognises a consistent read by RV=="" and GET / watch-list waits request progress when ConsistentListFromCache is on; its etcd3 store serves sendInitialEvents itself.');
  }
  if (minor === 31) return profile1_31;
  if (minor === 32) {
    return derive(profile1_31, '1.32', '1.32', 32, { initialEventsEndBookmark: 'afterInitialEvents' }, { WatchList: betaOn },
      '1.32: WatchList beta, on by default (handler defaulting turns RV ""/"0" watches into watch-list requests); the initial-events-end bookmark follows the initial events at once.');
  }
  if (minor === 33) return profile1_33;
  if (minor >= 34 && minor <= 36) return profile1_34;
  return profile1_37;
}

/** The profile for a cluster's /version gitVersion, e.g. 'v1.36.2'. */
export function profileForServerVersion(gitVersion: string): Profile {
  return resolveProfile(gitVersion);
}

/**
 * Whether an etcd server version is one upstream trusts with RequestWatchProgress
 * (storage/feature/feature_support_checker.go: ≥3.4.31 on 3.4, ≥3.5.13 from 3.5; etcd issues
 * #15220 and #17507). Pass every endpoint's version; one old member makes it false.
 */
export function etcdSupportsRequestWatchProgress(...versions: string[]): boolean {
  if (versions.length === 0) return false;
  return versions.every((v) => {
    const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v.trim());
    if (!m) return false;
    const [maj, min, pat] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (maj !== 3) return maj > 3;
    if (min < 4) return false;
    if (min === 4) return pat >= 31;
    if (min === 5) return pat >= 13;
    return true;
  });
}
