// Table tests: one row per upstream table row (storage-layer reference §2.3–2.6), per profile.
import { describe, expect, it } from 'vitest';
import { decide, type CacheState, type RoutingDecision, type RoutingRequest } from './decide.js';
import { profile1_27, profile1_28, profile1_31, profile1_33, profile1_34, profile1_37, resolveProfile, withGates, type Profile } from './profiles.js';
import { encodeContinue } from '../continue.js';
import { whatIf } from './whatif.js';

const P: Record<string, Profile> = {
  '1.27': profile1_27,
  '1.28': profile1_28,
  '1.31': profile1_31,
  '1.33': profile1_33,
  '1.34': profile1_34,
  '1.37': profile1_37,
};
type PName = keyof typeof P;
const names = Object.keys(P) as PName[];

/** Ready cache at RV 100 on an etcd upstream trusts (3.5.13+), history from RV 20. */
const ready: CacheState = { enabled: true, ready: true, resourceVersion: 100, etcdSupportsRequestWatchProgress: true, oldestResourceVersion: 20 };
const etcd34: CacheState = { ...ready, etcdSupportsRequestWatchProgress: false };
const unready: CacheState = { ...ready, ready: false, unreadyForMs: 30_000 };

const list = (query: Record<string, string>, recursive = true): RoutingRequest => ({ verb: 'list', group: '', resource: 'pods', recursive, query });
const get = (query: Record<string, string>): RoutingRequest => ({ verb: 'get', group: '', resource: 'pods', namespace: 'default', name: 'web-1', recursive: false, query });
const watch = (query: Record<string, string>): RoutingRequest => ({ verb: 'watch', group: '', resource: 'pods', recursive: true, query });

type Expect = Partial<Pick<RoutingDecision, 'servedBy' | 'reason' | 'consistentRead' | 'minResourceVersion' | 'snapshotResourceVersion' | 'waitUntilFresh' | 'onTimeout' | 'limit' | 'notReadyBehaviour' | 'initialEvents' | 'initialEventsEndBookmark' | 'errorDelivery' | 'requestProgress'>> & {
  code?: number;
  statusReason?: string;
  message?: string;
  retryAfter?: number;
};

const E = (reason: RoutingDecision['reason'], extra: Expect = {}): Expect => ({ servedBy: 'etcd', reason, ...extra });
const C = (reason: RoutingDecision['reason'], extra: Expect = {}): Expect => ({ servedBy: 'cache', reason, ...extra });
const R = (code: number, message: string, extra: Expect = {}): Expect => ({ servedBy: 'rejected', code, message, ...extra });
/** An error storage itself answers (recorded as served by it, not as a refusal before storage). */
const S = (servedBy: 'cache' | 'etcd', code: number, message: string, extra: Expect = {}): Expect => ({ servedBy, code, message, reason: 'invalidResourceVersion', ...extra });

function check(d: RoutingDecision, want: Expect) {
  const { code, statusReason, message, retryAfter, ...fields } = want;
  expect(d).toMatchObject(fields);
  if (code !== undefined) expect(d.error?.code).toBe(code);
  if (statusReason !== undefined) expect(d.error?.reason).toBe(statusReason);
  if (message !== undefined) expect(d.error?.message).toBe(message);
  if (retryAfter !== undefined) expect(d.error?.retryAfterSeconds).toBe(retryAfter);
  if (d.servedBy === 'etcd') {
    expect(d.snapshotResourceVersion).toBeUndefined();
    expect(d.waitUntilFresh).toBe(false);
  }
}

interface Row {
  row: string;
  req: RoutingRequest;
  cache?: CacheState;
  want: Record<PName, Expect>;
}

function each(rows: Row[]) {
  return rows.flatMap((r) => names.map((p) => [r.row, p, r] as const));
}

const tok50 = encodeContinue(50, 'default/web-1\u0000');
const consistentFallback: Expect = { consistentRead: true, waitUntilFresh: true, onTimeout: 'fallback', requestProgress: true };

const listRows: Row[] = [
  {
    row: 'L1 RV "" no limit',
    req: list({}),
    want: {
      '1.27': E('consistentReadFromStorage', { consistentRead: true }),
      '1.28': E('consistentReadFromStorage'),
      '1.31': C('consistentReadFromCache', consistentFallback),
      '1.33': C('consistentReadFromCache', consistentFallback),
      '1.34': C('consistentReadFromCache', consistentFallback),
      '1.37': C('consistentReadFromCache', consistentFallback),
    },
  },
  {
    row: 'L1 RV "" on etcd 3.4.23 (RequestWatchProgress not trusted)',
    req: list({}),
    cache: etcd34,
    want: {
      '1.27': E('consistentReadFromStorage'),
      '1.28': E('consistentReadFromStorage'),
      '1.31': E('consistentReadFromStorage', { consistentRead: true }),
      '1.33': E('consistentReadFromStorage'),
      '1.34': E('consistentReadFromStorage'),
      '1.37': E('consistentReadFromStorage'),
    },
  },
  {
    row: 'L2 RV "" limit',
    req: list({ limit: '10' }),
    want: {
      '1.27': E('consistentReadFromStorage'),
      '1.28': E('consistentReadFromStorage'),
      '1.31': C('consistentReadFromCache', { ...consistentFallback, limit: 10 }),
      '1.33': C('consistentReadFromCache', { limit: 10 }),
      '1.34': C('consistentReadFromCache', { limit: 10 }),
      '1.37': C('consistentReadFromCache', { limit: 10 }),
    },
  },
  {
    row: 'L3 continue (token rv 50)',
    req: list({ continue: tok50, limit: '10' }),
    want: {
      '1.27': E('hasContinuation'),
      '1.28': E('hasContinuation'),
      '1.31': E('hasContinuation'),
      '1.33': E('hasContinuation'),
      '1.34': C('continueFromSnapshot', { snapshotResourceVersion: 50, waitUntilFresh: false }),
      '1.37': C('continueFromSnapshot', { snapshotResourceVersion: 50 }),
    },
  },
  {
    row: 'L4 RV "0" limit (limit ignored)',
    req: list({ resourceVersion: '0', limit: '10' }),
    want: Object.fromEntries(names.map((p) => [p, C('servedFromCache', { waitUntilFresh: false, limit: 0, consistentRead: false })])) as Record<PName, Expect>,
  },
  {
    row: 'L5 RV n',
    req: list({ resourceVersion: '50' }),
    want: Object.fromEntries(names.map((p) => [p, C('servedFromCache', { minResourceVersion: 50, waitUntilFresh: true, onTimeout: '504' })])) as Record<PName, Expect>,
  },
  {
    row: 'L6 RV n limit (legacy exact)',
    req: list({ resourceVersion: '50', limit: '10' }),
    want: {
      '1.27': E('hasLimit'),
      '1.28': E('hasLimit'),
      '1.31': E('legacyExactMatch'),
      '1.33': E('legacyExactMatch'),
      '1.34': C('exactRVFromSnapshot', { snapshotResourceVersion: 50, limit: 10 }),
      '1.37': C('exactRVFromSnapshot', { snapshotResourceVersion: 50, limit: 10 }),
    },
  },
  {
    row: 'L7 RV n NotOlderThan',
    req: list({ resourceVersion: '50', resourceVersionMatch: 'NotOlderThan' }),
    want: Object.fromEntries(names.map((p) => [p, C('servedFromCache', { minResourceVersion: 50 })])) as Record<PName, Expect>,
  },
  {
    row: 'L8 RV n NotOlderThan limit',
    req: list({ resourceVersion: '50', resourceVersionMatch: 'NotOlderThan', limit: '10' }),
    want: {
      '1.27': E('hasLimit'),
      '1.28': E('hasLimit'),
      '1.31': C('servedFromCache', { minResourceVersion: 50, limit: 10 }),
      '1.33': C('servedFromCache', { minResourceVersion: 50, limit: 10 }),
      '1.34': C('servedFromCache', { minResourceVersion: 50, limit: 10 }),
      '1.37': C('servedFromCache', { minResourceVersion: 50, limit: 10 }),
    },
  },
  {
    row: 'L9 RV n Exact',
    req: list({ resourceVersion: '50', resourceVersionMatch: 'Exact' }),
    want: {
      '1.27': E('unsupportedMatch'),
      '1.28': E('unsupportedMatch'),
      '1.31': E('unsupportedMatch'),
      '1.33': E('unsupportedMatch'),
      '1.34': C('exactRVFromSnapshot', { snapshotResourceVersion: 50 }),
      '1.37': C('exactRVFromSnapshot', { snapshotResourceVersion: 50 }),
    },
  },
  {
    row: 'L10 unknown RVM (handler 422)',
    req: list({ resourceVersion: '50', resourceVersionMatch: 'Foo' }),
    want: Object.fromEntries(
      names.map((p) => [
        p,
        R(422, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Foo": supported values: "Exact", "NotOlderThan", ""', { reason: 'invalidRequest', statusReason: 'Invalid' }),
      ]),
    ) as Record<PName, Expect>,
  },
];

const getRows: Row[] = [
  { row: 'GET RV ""', req: get({}), want: Object.fromEntries(names.map((p) => [p, E('getQuorumRead')])) as Record<PName, Expect> },
  { row: 'GET RV "0"', req: get({ resourceVersion: '0' }), want: Object.fromEntries(names.map((p) => [p, C('servedFromCache', { waitUntilFresh: false })])) as Record<PName, Expect> },
  {
    row: 'GET RV n',
    req: get({ resourceVersion: '50' }),
    want: {
      '1.27': C('servedFromCache', { minResourceVersion: 50, onTimeout: '504', requestProgress: false }),
      '1.28': C('servedFromCache', { minResourceVersion: 50, requestProgress: false }),
      '1.31': C('servedFromCache', { minResourceVersion: 50, requestProgress: true }),
      '1.33': C('servedFromCache', { minResourceVersion: 50, requestProgress: true }),
      '1.34': C('servedFromCache', { minResourceVersion: 50, requestProgress: true }),
      '1.37': C('servedFromCache', { minResourceVersion: 50, requestProgress: true }),
    },
  },
  {
    row: 'GET RV n on etcd 3.4 (1.31–1.32 request progress without an etcd check)',
    req: get({ resourceVersion: '50' }),
    cache: etcd34,
    want: {
      '1.27': C('servedFromCache', { requestProgress: false }),
      '1.28': C('servedFromCache', { requestProgress: false }),
      '1.31': C('servedFromCache', { requestProgress: true }),
      '1.33': C('servedFromCache', { requestProgress: false }),
      '1.34': C('servedFromCache', { requestProgress: false }),
      '1.37': C('servedFromCache', { requestProgress: false }),
    },
  },
  {
    row: 'GET RV "0" not ready',
    req: get({ resourceVersion: '0' }),
    cache: unready,
    want: Object.fromEntries(names.map((p) => [p, E('cacheNotReadyDelegate', { notReadyBehaviour: 'delegate' })])) as Record<PName, Expect>,
  },
  {
    row: 'GET RV n not ready',
    req: get({ resourceVersion: '50' }),
    cache: unready,
    want: {
      '1.27': C('cacheNotReady', { notReadyBehaviour: 'block', minResourceVersion: 50 }),
      '1.28': C('cacheNotReady', { notReadyBehaviour: 'block' }),
      '1.31': E('cacheNotReadyDelegate'),
      '1.33': E('cacheNotReadyDelegate'),
      '1.34': E('cacheNotReadyDelegate'),
      '1.37': E('cacheNotReadyDelegate'),
    },
  },
  {
    row: 'GET non-numeric RV (500, no reason)',
    req: get({ resourceVersion: 'abc' }),
    want: Object.fromEntries(
      names.map((p) => [p, S('cache', 500, 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax', { statusReason: '' })]),
    ) as Record<PName, Expect>,
  },
];

const watchListErr = 'a watch stream was requested by the client but the required storage feature RequestWatchProgress is disabled';
const wlGateOff = 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled';

const watchRows: Row[] = [
  {
    row: 'WATCH RV "" (legacy / defaulted)',
    req: watch({}),
    want: {
      '1.27': E('watchFromStorage'),
      '1.28': C('servedFromCache', { initialEvents: true, consistentRead: false, waitUntilFresh: false }),
      '1.31': C('servedFromCache', { initialEvents: true, consistentRead: false }),
      '1.33': C('servedFromCache', { initialEvents: true, consistentRead: false }),
      '1.34': C('consistentReadFromCache', { initialEvents: true, consistentRead: true, waitUntilFresh: true, initialEventsEndBookmark: false, onTimeout: '504' }),
      '1.37': C('consistentReadFromCache', { initialEvents: true, consistentRead: true }),
    },
  },
  {
    row: 'WATCH RV "" allowWatchBookmarks on etcd 3.4 (defaulted watch-list ERROR)',
    req: watch({ allowWatchBookmarks: 'true' }),
    cache: etcd34,
    want: {
      '1.27': E('watchFromStorage'),
      '1.28': C('servedFromCache'),
      '1.31': C('servedFromCache'),
      '1.33': C('servedFromCache'),
      '1.34': S('cache', 500, watchListErr, { reason: 'etcdLacksProgress', errorDelivery: 'watchEvent', statusReason: 'InternalError' }),
      '1.37': S('cache', 500, watchListErr, { reason: 'etcdLacksProgress', errorDelivery: 'watchEvent' }),
    },
  },
  {
    row: 'WATCH RV "0"',
    req: watch({ resourceVersion: '0', allowWatchBookmarks: 'true' }),
    want: {
      '1.27': C('servedFromCache', { initialEvents: true, initialEventsEndBookmark: false }),
      '1.28': C('servedFromCache', { initialEvents: true }),
      '1.31': C('servedFromCache', { initialEvents: true }),
      '1.33': C('servedFromCache', { initialEvents: true, initialEventsEndBookmark: false }),
      '1.34': C('servedFromCache', { initialEvents: true, initialEventsEndBookmark: true, waitUntilFresh: false }),
      '1.37': C('servedFromCache', { initialEvents: true, initialEventsEndBookmark: true }),
    },
  },
  {
    row: 'WATCH RV n',
    req: watch({ resourceVersion: '50' }),
    want: Object.fromEntries(names.map((p) => [p, C('servedFromCache', { initialEvents: false, waitUntilFresh: false })])) as Record<PName, Expect>,
  },
  {
    row: 'WATCH watch-list sendInitialEvents=true NotOlderThan',
    req: watch({ sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: 'true' }),
    want: {
      '1.27': R(422, wlGateOff),
      '1.28': R(422, wlGateOff),
      '1.31': R(422, wlGateOff),
      '1.33': R(422, wlGateOff),
      '1.34': C('consistentReadFromCache', { initialEvents: true, initialEventsEndBookmark: true, consistentRead: true, waitUntilFresh: true, requestProgress: true, onTimeout: '504', errorDelivery: 'watchEvent' }),
      '1.37': C('consistentReadFromCache', { initialEventsEndBookmark: true }),
    },
  },
  {
    row: 'WATCH RVM without sendInitialEvents (422)',
    req: watch({ resourceVersion: '50', resourceVersionMatch: 'NotOlderThan' }),
    want: Object.fromEntries(
      names.map((p) => [p, R(422, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided')]),
    ) as Record<PName, Expect>,
  },
  {
    row: 'WATCH RV n not ready',
    req: watch({ resourceVersion: '50' }),
    cache: unready,
    want: {
      '1.27': C('cacheNotReady', { notReadyBehaviour: 'block' }),
      '1.28': C('cacheNotReady', { notReadyBehaviour: 'block' }),
      '1.31': R(429, 'storage is (re)initializing', { reason: 'cacheNotReady', retryAfter: 1, statusReason: 'TooManyRequests', notReadyBehaviour: '429' }),
      '1.33': R(429, 'storage is (re)initializing', { retryAfter: 6 }),
      '1.34': R(429, 'storage is (re)initializing', { retryAfter: 6 }),
      '1.37': R(429, 'storage is (re)initializing', { retryAfter: 6 }),
    },
  },
];

const notReadyListRows: Row[] = [
  {
    row: 'not ready: LIST RV ""',
    req: list({}),
    cache: unready,
    want: {
      '1.27': E('consistentReadFromStorage'),
      '1.28': E('consistentReadFromStorage'),
      '1.31': R(429, 'storage is (re)initializing', { retryAfter: 1 }),
      '1.33': R(429, 'storage is (re)initializing', { retryAfter: 6 }),
      '1.34': R(429, 'storage is (re)initializing', { retryAfter: 6 }),
      '1.37': R(429, 'storage is (re)initializing', { retryAfter: 6 }),
    },
  },
  {
    row: 'not ready: LIST RV "0" limit, no selectors',
    req: list({ resourceVersion: '0', limit: '500' }),
    cache: unready,
    want: Object.fromEntries(names.map((p) => [p, E('cacheNotReadyDelegate', { notReadyBehaviour: 'delegate' })])) as Record<PName, Expect>,
  },
  {
    row: 'not ready: LIST RV "0" limit with a label selector',
    req: list({ resourceVersion: '0', limit: '500', labelSelector: 'app=web' }),
    cache: unready,
    want: {
      '1.27': E('cacheNotReadyDelegate'),
      '1.28': E('cacheNotReadyDelegate'),
      '1.31': R(429, 'storage is (re)initializing', { notReadyBehaviour: '429' }),
      '1.33': R(429, 'storage is (re)initializing'),
      '1.34': R(429, 'storage is (re)initializing'),
      '1.37': R(429, 'storage is (re)initializing'),
    },
  },
  {
    row: 'not ready: LIST RV n',
    req: list({ resourceVersion: '50' }),
    cache: unready,
    want: {
      '1.27': C('cacheNotReady', { notReadyBehaviour: 'block', minResourceVersion: 50 }),
      '1.28': C('cacheNotReady', { notReadyBehaviour: 'block' }),
      '1.31': R(429, 'storage is (re)initializing'),
      '1.33': R(429, 'storage is (re)initializing'),
      '1.34': R(429, 'storage is (re)initializing'),
      '1.37': R(429, 'storage is (re)initializing'),
    },
  },
];

const all = (w: Expect) => Object.fromEntries(names.map((p) => [p, w])) as Record<PName, Expect>;
const inv = (field: string, body: string) => `ListOptions.meta.k8s.io "" is invalid: ${field}: ${body}`;

const validationRows: Row[] = [
  { row: 'RVM without RV', req: list({ resourceVersionMatch: 'NotOlderThan' }), want: all(R(422, inv('resourceVersionMatch', 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided'))) },
  { row: 'RVM with continue', req: list({ resourceVersion: '0', resourceVersionMatch: 'NotOlderThan', continue: tok50 }), want: all(R(422, inv('resourceVersionMatch', 'Forbidden: resourceVersionMatch is forbidden when continue is provided'))) },
  { row: 'Exact with RV "0"', req: list({ resourceVersion: '0', resourceVersionMatch: 'Exact' }), want: all(R(422, inv('resourceVersionMatch', 'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'))) },
  { row: 'sendInitialEvents on a list', req: list({ sendInitialEvents: 'false' }), want: all(R(422, inv('sendInitialEvents', 'Forbidden: sendInitialEvents is forbidden for list'))) },
  {
    row: 'two errors aggregate',
    req: list({ resourceVersionMatch: 'Bogus' }),
    want: all(R(422, 'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, resourceVersionMatch: Unsupported value: "Bogus": supported values: "Exact", "NotOlderThan", ""]')),
  },
  { row: 'continue with RV n (400)', req: list({ resourceVersion: '50', continue: tok50 }), want: all(R(400, 'specifying resource version is not allowed when using continue', { statusReason: 'BadRequest' })) },
  { row: 'undecodable continue (400)', req: list({ continue: '!!!' }), want: all(R(400, 'invalid continue token: continue key is not valid: illegal base64 data at input byte 0')) },
  {
    row: 'non-numeric RV on LIST',
    req: list({ resourceVersion: 'abc' }),
    want: {
      '1.27': S('cache', 500, 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax', { statusReason: '' }),
      '1.28': S('cache', 500, 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax'),
      '1.31': S('cache', 500, 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax'),
      '1.33': R(400, 'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax'),
      '1.34': R(400, 'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax', { statusReason: 'BadRequest' }),
      '1.37': R(400, 'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax'),
    },
  },
  {
    row: 'non-numeric RV with limit reaches etcd3 on ≤1.32 (400)',
    req: list({ resourceVersion: 'abc', limit: '5' }),
    want: {
      ...all(S('etcd', 400, 'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax')),
      // 1.33+: storage.ValidateListOptions refuses it before routing.
      '1.33': R(400, 'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax'),
      '1.34': R(400, 'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax'),
      '1.37': R(400, 'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax'),
    },
  },
  { row: 'WATCH non-numeric RV (500)', req: watch({ resourceVersion: 'x' }), want: all(S('cache', 500, 'resourceVersion: Invalid value: "x": strconv.ParseUint: parsing "x": invalid syntax')) },
  { row: 'bad limit (400)', req: list({ limit: 'ten' }), want: all(R(400, 'strconv.ParseInt: parsing "ten": invalid syntax')) },
  { row: 'create', req: { verb: 'create', group: '', resource: 'pods', recursive: false, query: {} }, want: all(E('writeToStorage')) },
  { row: 'update', req: { verb: 'update', group: '', resource: 'pods', name: 'a', recursive: false, query: { resourceVersion: '5' } }, want: all(E('writeToStorage')) },
  { row: 'delete', req: { verb: 'delete', group: '', resource: 'pods', name: 'a', recursive: false, query: {} }, want: all(E('writeToStorage')) },
  { row: 'cache disabled LIST', req: list({ resourceVersion: '0' }), cache: { ...ready, enabled: false }, want: all(E('cacheDisabled')) },
  { row: 'cache disabled WATCH', req: watch({ resourceVersion: '0' }), cache: { ...ready, enabled: false }, want: all(E('cacheDisabled')) },
];

describe.each([
  ['LIST table §2.3', listRows],
  ['GET table §2.4', getRows],
  ['WATCH table §2.5', watchRows],
  ['LIST, cache not ready', notReadyListRows],
  ['validation and writes', validationRows],
])('%s', (_t, rows) => {
  it.each(each(rows))('%s — %s', (_row, p, r) => {
    const d = decide(r.req, r.cache ?? ready, P[p]!);
    check(d, r.want[p]);
    expect(d.detail.length).toBeGreaterThan(10);
    expect(d.rule.length).toBeGreaterThan(3);
  });
});

describe('version nuances', () => {
  it('1.28 quirk: with ConsistentListFromCache on, RV "0" lists also fetch etcd\'s revision; 1.30 does not', async () => {
    const p128 = withGates(profile1_28, { ConsistentListFromCache: true });
    expect(decide(list({ resourceVersion: '0' }), ready, p128)).toMatchObject({ servedBy: 'cache', reason: 'consistentReadFromCache', consistentRead: true, onTimeout: '504' });
    const p130 = withGates(resolveProfile('1.30'), { ConsistentListFromCache: true });
    expect(decide(list({ resourceVersion: '0' }), ready, p130)).toMatchObject({ servedBy: 'cache', reason: 'servedFromCache', consistentRead: false });
    // The alpha gate ignores etcd's version before 1.31.
    expect(decide(list({}), etcd34, p128)).toMatchObject({ servedBy: 'cache', reason: 'consistentReadFromCache', requestProgress: true });
    // And the limit rule still sends L2 to etcd.
    expect(decide(list({ limit: '5' }), ready, p128)).toMatchObject({ servedBy: 'etcd', reason: 'hasLimit' });
  });

  it('1.37 ConsistentListFromCacheSkipTimeoutFallback turns the consistent-read timeout into 429', () => {
    const p = withGates(profile1_37, { ConsistentListFromCacheSkipTimeoutFallback: true });
    expect(decide(list({}), ready, p)).toMatchObject({ onTimeout: '429' });
  });

  it('1.33 with ListFromCacheSnapshot on serves exact reads from snapshots', () => {
    const p = withGates(profile1_33, { ListFromCacheSnapshot: true });
    expect(decide(list({ resourceVersion: '50', resourceVersionMatch: 'Exact' }), ready, p)).toMatchObject({ servedBy: 'cache', reason: 'exactRVFromSnapshot', snapshotResourceVersion: 50 });
  });

  it('snapshots: miss, future RV with and without progress support, single key, failed consistency check', () => {
    const exact = (rv: string, recursive = true) => list({ resourceVersion: rv, resourceVersionMatch: 'Exact' }, recursive);
    expect(decide(exact('10'), ready, profile1_34)).toMatchObject({ servedBy: 'etcd', reason: 'snapshotUnavailable' });
    expect(decide(exact('50'), { ...ready, snapshotAvailableFor: () => false }, profile1_34)).toMatchObject({ servedBy: 'etcd', reason: 'snapshotUnavailable' });
    expect(decide(exact('150'), ready, profile1_34)).toMatchObject({ servedBy: 'cache', reason: 'exactRVFromSnapshot', minResourceVersion: 150, waitUntilFresh: true, onTimeout: '504' });
    expect(decide(exact('150'), etcd34, profile1_34)).toMatchObject({ servedBy: 'etcd', reason: 'futureRVFromStorage' });
    expect(decide(exact('50', false), ready, profile1_34)).toMatchObject({ servedBy: 'etcd', reason: 'singleKeyExactFromStorage' });
    expect(decide(exact('50'), { ...ready, snapshottingEnabled: false }, profile1_34)).toMatchObject({ servedBy: 'etcd', reason: 'unsupportedMatch' });
    // A continue token with rv < 0 ("continue at latest") is a consistent read.
    expect(decide(list({ continue: encodeContinue(-1, 'default/a\u0000') }), ready, profile1_34)).toMatchObject({ servedBy: 'cache', reason: 'consistentReadFromCache', continueToken: { rv: -1, start: 'default/a\u0000' } });
    // Single-key consistent list is served by the cache in 1.33+.
    expect(decide(list({ fieldSelector: 'metadata.name=a' }, false), ready, profile1_34)).toMatchObject({ servedBy: 'cache', reason: 'consistentReadFromCache' });
  });

  it('compactions: 1.34+ prune snapshots at compact_rev_key\'s revision (etcd answers); a direct etcd compaction is served, and says so', () => {
    const exact = list({ resourceVersion: '50', resourceVersionMatch: 'Exact' });
    const cont = list({ continue: encodeContinue(50, 'default/a\u0000') });
    // compact_rev_key recorded 60 and the cacher's compactor applied it; etcd compacted at 60.
    const pruned: CacheState = { ...ready, compaction: { cacherRevision: 60, keyRevision: 60, etcdRevision: 60, snapshotAvailableFor: (rv) => rv >= 60 } };
    for (const n of ['1.34', '1.37'] as const) {
      expect(decide(exact, pruned, P[n]!), n).toMatchObject({ servedBy: 'etcd', reason: 'snapshotCompacted' });
      expect(decide(cont, pruned, P[n]!), n).toMatchObject({ servedBy: 'etcd', reason: 'snapshotCompacted', continueToken: { rv: 50 } });
      expect(decide(list({ resourceVersion: '60', resourceVersionMatch: 'Exact' }), pruned, P[n]!), n).toMatchObject({ servedBy: 'cache', reason: 'exactRVFromSnapshot', snapshotResourceVersion: 60 });
    }
    expect(decide(exact, pruned, profile1_34).detail).toContain('etcd compacted it too (at 60) and answers 410');
    // 1.33 (snapshots on) has no compactor: its snapshot outlives the compaction.
    const p133 = withGates(profile1_33, { ListFromCacheSnapshot: true });
    const d133 = decide(exact, pruned, p133);
    expect(d133).toMatchObject({ servedBy: 'cache', reason: 'snapshotOfCompactedRevision', snapshotResourceVersion: 50 });
    expect(d133.detail).toContain('has no cacher compactor');
    // Without snapshots nothing changes: etcd serves (and answers 410 itself).
    expect(decide(exact, pruned, profile1_31)).toMatchObject({ servedBy: 'etcd', reason: 'unsupportedMatch' });
    expect(decide(exact, pruned, withGates(profile1_34, { ListFromCacheSnapshot: false }))).toMatchObject({ servedBy: 'etcd', reason: 'unsupportedMatch' });
    // Compacted directly on etcd: compact_rev_key never written, so the cache keeps serving it.
    const direct: CacheState = { ...ready, compaction: { cacherRevision: 0, keyRevision: 0, etcdRevision: 60, snapshotAvailableFor: () => true } };
    const dd = decide(exact, direct, profile1_34);
    expect(dd).toMatchObject({ servedBy: 'cache', reason: 'snapshotOfCompactedRevision', snapshotResourceVersion: 50 });
    expect(dd.detail).toContain('compact_rev_key was never written');
    expect(decide(cont, direct, profile1_34)).toMatchObject({ servedBy: 'cache', reason: 'snapshotOfCompactedRevision' });
    // Recorded in the key but not polled yet (the compactor reads every 15 s).
    const pending: CacheState = { ...ready, compaction: { cacherRevision: 0, keyRevision: 60, etcdRevision: 60, snapshotAvailableFor: () => true } };
    expect(decide(exact, pending, profile1_34).detail).toContain('reads it every 15 s and has not yet');
    // Above etcd's compaction: the plain reasons.
    expect(decide(list({ resourceVersion: '70', resourceVersionMatch: 'Exact' }), direct, profile1_34)).toMatchObject({ servedBy: 'cache', reason: 'exactRVFromSnapshot' });
  });

  it('WatchFromStorageWithoutResourceVersion on (1.31) sends RV "" watches to etcd; locked off from 1.33', () => {
    const p = withGates(profile1_31, { WatchFromStorageWithoutResourceVersion: true });
    expect(decide(watch({}), ready, p)).toMatchObject({ servedBy: 'etcd', reason: 'watchFromStorage' });
    expect(() => withGates(profile1_33, { WatchFromStorageWithoutResourceVersion: true })).toThrow('cannot set feature gate WatchFromStorageWithoutResourceVersion to true, feature is locked to false');
  });

  it('1.32 (WatchList on by default) defaults plain watches into watch-lists', async () => {
    const d = decide(watch({ resourceVersion: '' }), ready, resolveProfile('v1.32.4'));
    expect(d).toMatchObject({ servedBy: 'cache', reason: 'consistentReadFromCache', effectiveQuery: { sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan' } });
  });

  it('the watch=true query on a list is decided as a watch', () => {
    expect(decide(list({ watch: 'true', resourceVersion: '50' }), ready, profile1_34)).toMatchObject({ servedBy: 'cache', initialEvents: false });
  });

  it('sendInitialEvents=false: RV "" fetches etcd\'s revision without initial events or wait', () => {
    const d = decide(watch({ sendInitialEvents: 'false', resourceVersionMatch: 'NotOlderThan' }), ready, profile1_34);
    expect(d).toMatchObject({ servedBy: 'cache', consistentRead: true, waitUntilFresh: false, initialEvents: false });
  });

  it('1.33 appends the last ListAndWatch error to the 429 message; Retry-After is capped at 30', () => {
    const d = decide(list({}), { ...unready, unreadyForMs: 3_600_000, lastError: 'etcdserver: no leader' }, profile1_34);
    expect(d.error?.message).toBe('storage is (re)initializing: etcdserver: no leader');
    expect(d.error?.retryAfterSeconds).toBe(30);
    expect(decide(list({}), { ...unready, lastError: 'x' }, profile1_31).error?.message).toBe('storage is (re)initializing');
  });

  it('whatIf decides the same request under every profile', () => {
    const rows = whatIf(list({ resourceVersion: '50', limit: '10' }), ready);
    expect(rows.map((r) => [r.profile.name, r.decision.servedBy])).toEqual([
      ['1.27', 'etcd'],
      ['1.28', 'etcd'],
      ['1.31', 'etcd'],
      ['1.33', 'etcd'],
      ['1.34', 'cache'],
      ['1.37', 'cache'],
    ]);
  });
});

describe('sendInitialEvents with the watch cache off (etcd3 store Watch)', () => {
  const off: CacheState = { ...ready, enabled: false };
  const wl = (q: Record<string, string>) => watch({ sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan', ...q });
  const msg = 'pods "" is invalid: sendInitialEvents: Forbidden: for watch is unsupported by an etcd cluster';
  it('1.27 refuses it with 422 whatever else the request says', () => {
    const p = withGates(profile1_27, { WatchList: true });
    const queries: Record<string, string>[] = [{ allowWatchBookmarks: 'true' }, { resourceVersion: '0' }, {}];
    for (const q of queries) {
      const d = decide(wl(q), off, p);
      check(d, R(422, msg, { reason: 'watchListNotSupported' }));
      expect(d.error!.toStatus().details).toEqual({ kind: 'pods', causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: for watch is unsupported by an etcd cluster', field: 'sendInitialEvents' }] });
    }
  });
  it('1.28 lets a backward-compatible request through: no bookmarks and RV ""/"0"', () => {
    const p = withGates(profile1_28, { WatchList: true });
    check(decide(wl({}), off, p), E('cacheDisabled'));
    check(decide(wl({ resourceVersion: '0' }), off, p), E('cacheDisabled'));
    check(decide(wl({ allowWatchBookmarks: 'true' }), off, p), R(422, msg, { reason: 'watchListNotSupported' }));
    check(decide(wl({ resourceVersion: '5' }), off, p), R(422, msg, { reason: 'watchListNotSupported' }));
  });
  it('1.30 and later serve it from etcd', () => {
    check(decide(wl({ allowWatchBookmarks: 'true' }), off, withGates(resolveProfile('1.30'), { WatchList: true })), E('cacheDisabled'));
    check(decide(wl({ allowWatchBookmarks: 'true' }), off, profile1_34), E('cacheDisabled'));
  });
});

describe('a stopped Cacher', () => {
  const stopped: CacheState = { ...ready, ready: false, stopped: true, unreadyForMs: 0 };
  it('1.33+ answer 429 "apiserver cacher is stopped"; 1.31–1.32 do not tell it apart', () => {
    check(decide(list({ resourceVersion: '0' }), stopped, profile1_34), R(429, 'apiserver cacher is stopped', { reason: 'cacheNotReady', retryAfter: 1 }));
    check(decide(watch({ resourceVersion: '0' }), stopped, profile1_33), R(429, 'apiserver cacher is stopped', { reason: 'cacheNotReady' }));
    check(decide(list({ resourceVersion: '0' }), { ...stopped, lastError: 'boom' }, profile1_37), R(429, 'apiserver cacher is stopped'));
    check(decide(list({ resourceVersion: '0' }), stopped, profile1_31), R(429, 'storage is (re)initializing'));
  });
});

describe('watch-list without resourceVersion, 1.27–1.29 vs 1.30+', () => {
  const wl = watch({ sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: 'true' });
  it('1.27–1.29 stream the cache at once and hold the end bookmark for etcd\'s revision (no wait, no 504)', () => {
    for (const p of [withGates(profile1_27, { WatchList: true }), withGates(profile1_28, { WatchList: true })]) {
      const d = decide(wl, ready, p);
      expect(d).toMatchObject({ servedBy: 'cache', consistentRead: true, waitUntilFresh: false, endBookmarkAtEtcdRevision: true, initialEvents: true });
      expect(d.onTimeout).toBeUndefined();
    }
  });
  it('1.30 waits for the revision first, with a 504 ERROR event on timeout', () => {
    const d = decide(wl, ready, withGates(resolveProfile('1.30'), { WatchList: true }));
    expect(d).toMatchObject({ waitUntilFresh: true, onTimeout: '504' });
    expect(d.endBookmarkAtEtcdRevision).toBeUndefined();
  });
});
