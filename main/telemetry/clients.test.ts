import { describe, expect, it } from 'vitest';
import { ClientsAggregator, type ClientObservation } from './clients.js';
import { clientKey, isConsistentList, ClientsReport } from '../../shared/clients.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const MIN = 60_000;

function obs(p: Partial<ClientObservation> = {}): ClientObservation {
  return { time: T0, source: 'endpoint', userAgent: 'kubectl/v1.36.0 (linux/amd64) kubernetes/abc1234', verb: 'list', resource: 'pods', servedBy: 'cache', reason: 'notConsistentRead', status: 200, ...p };
}

describe('clientKey', () => {
  it('keeps the product and the component client-go appends, drops platform and commit', () => {
    expect(clientKey('kubectl/v1.36.0 (linux/amd64) kubernetes/abc1234')).toBe('kubectl/v1.36.0');
    expect(clientKey('kube-controller-manager/v1.36.0 (linux/amd64) kubernetes/4d1f0a2/replicaset-controller')).toBe('kube-controller-manager/v1.36.0 replicaset-controller');
    expect(clientKey('  ')).toBe('(no user agent)');
  });
  it('a consistent LIST is one without resourceVersion and without continue', () => {
    expect(isConsistentList('list', {})).toBe(true);
    expect(isConsistentList('list', { resourceVersion: '' })).toBe(true);
    expect(isConsistentList('list', { resourceVersion: '0' })).toBe(false);
    expect(isConsistentList('list', { continue: 'x' })).toBe(false);
    expect(isConsistentList('watch', {})).toBe(false);
  });
});

describe('ClientsAggregator', () => {
  it('counts per verb and side, reasons, LIST sizes and consistent LISTs per minute, sorted by etcd load', () => {
    let now = T0 + 2 * MIN;
    const a = new ClientsAggregator({ minutes: 5, now: () => now });
    const ctrl = 'kube-controller-manager/v1.36.0 (linux/amd64) kubernetes/4d1f0a2/replicaset-controller';
    for (let i = 0; i < 3; i++) a.observe(obs({ userAgent: ctrl, servedBy: 'etcd', reason: 'consistentReadFromStorage', consistentList: true, objects: 10, bytes: 1000, time: T0 + i * MIN }));
    a.observe(obs({ objects: 2, bytes: 200 }));
    a.observe(obs({ verb: 'get', servedBy: 'etcd', reason: 'getFromStorage' }));
    a.observe(obs({ verb: 'create', servedBy: 'etcd', reason: 'write', status: 201 }));
    const r = ClientsReport.parse(a.report(3));
    expect(r.sources).toEqual({ endpoint: 6, audit: 0 });
    expect(r.userAgents.map((x) => x.key)).toEqual(['kube-controller-manager/v1.36.0 replicaset-controller', 'kubectl/v1.36.0']);
    const [c, k] = r.userAgents;
    expect(c!.etcd).toBe(3);
    expect(c!.consistentLists).toBe(3);
    expect(c!.consistentListsPerMinute).toEqual([1, 1, 1]);
    expect(c!.list).toEqual({ requests: 3, sized: 3, objects: 30, bytes: 3000 });
    expect(c!.topReasons).toEqual([{ servedBy: 'etcd', reason: 'consistentReadFromStorage', count: 3 }]);
    expect(k!.byVerb).toMatchObject({ list: 1, get: 1, create: 1, watch: 0 });
    expect(k!.cache).toBe(1);
    expect(k!.etcd).toBe(2);
    // Only the last minute.
    expect(a.report(1).userAgents.find((x) => x.key.startsWith('kube-controller'))!.consistentListsPerMinute).toEqual([1]);
    // Outside the window: gone.
    now = T0 + 10 * MIN;
    expect(a.report().userAgents).toEqual([]);
  });

  it('open watches and how they ended; an end is not another request', () => {
    const a = new ClientsAggregator({ now: () => T0 });
    a.observe(obs({ verb: 'watch', reason: 'watchFromCache' }));
    a.observe(obs({ verb: 'watch', reason: 'watchFromCache' }));
    a.observe(obs({ verb: 'watch', servedBy: 'rejected', reason: 'badRequest', status: 400 }));
    a.observe(obs({ verb: 'watch', reason: 'watchFromCache', watchEnd: { durationMs: 3000, reason: 'bufferFull' } }));
    const [row] = a.report().userAgents;
    expect(row!.requests).toBe(3);
    expect(row!.watches).toEqual({ open: 1, started: 2, ended: 1, endReasons: [{ reason: 'bufferFull', count: 1 }], meanDurationMs: 3000 });
  });

  it('what-if: reads that would change side, per profile, with the reason there', () => {
    const a = new ClientsAggregator({ now: () => T0 });
    a.observe(obs({ servedBy: 'etcd', reason: 'hasLimit', whatIf: [{ profile: '1.34', servedBy: 'cache', reason: 'continueFromSnapshot' }, { profile: '1.27', servedBy: 'etcd', reason: 'hasLimit' }] }));
    a.observe(obs({ servedBy: 'cache', reason: 'consistentReadFromCache', whatIf: [{ profile: '1.30', servedBy: 'etcd', reason: 'consistentReadFromStorage' }] }));
    expect(a.report().userAgents[0]!.whatIf).toEqual([
      { profile: '1.30', toCache: 0, toEtcd: 1, topReason: 'consistentReadFromStorage' },
      { profile: '1.34', toCache: 1, toEtcd: 0, topReason: 'continueFromSnapshot' },
    ]);
  });

  it('per user as well as per user agent; both sources', () => {
    const a = new ClientsAggregator({ now: () => T0 });
    a.observe(obs({ source: 'audit', user: 'alice' }));
    a.observe(obs({ source: 'endpoint', user: 'alice', userAgent: 'node-fetch' }));
    a.observe(obs({ source: 'audit', user: 'system:serviceaccount:kube-system:replicaset-controller' }));
    const r = a.report();
    expect(r.sources).toEqual({ endpoint: 1, audit: 2 });
    expect(r.users.find((u) => u.key === 'alice')).toMatchObject({ requests: 2, sources: ['endpoint', 'audit'] });
    expect(r.userAgents.find((u) => u.key === 'kubectl/v1.36.0')).toMatchObject({ requests: 2, sources: ['audit'] });
  });

  it('bounded: clients past the cap fold into (other); an idle client gives its row up', () => {
    let now = T0;
    const a = new ClientsAggregator({ minutes: 2, maxClients: 3, now: () => now });
    for (let i = 0; i < 10; i++) a.observe(obs({ userAgent: `c${i}/v1`, time: now }));
    let r = a.report();
    expect(r.userAgents.map((x) => x.key).sort()).toEqual(['(other)', 'c0/v1', 'c1/v1', 'c2/v1']);
    expect(r.userAgents.find((x) => x.key === '(other)')!.requests).toBe(7);
    expect(r.folded.userAgents).toBe(7);
    // c0 keeps a watch open: it stays. The others are idle past the window and give way.
    a.observe(obs({ userAgent: 'c0/v1', verb: 'watch', time: now }));
    now += 5 * MIN;
    a.observe(obs({ userAgent: 'new/v1', time: now }));
    r = a.report();
    expect(r.userAgents.map((x) => x.key).sort()).toEqual(['c0/v1', 'new/v1']);
  });

  it('bounded per bucket: many reasons and end reasons fold', () => {
    const a = new ClientsAggregator({ now: () => T0 });
    for (let i = 0; i < 100; i++) a.observe(obs({ servedBy: 'etcd', reason: `r${i}` }));
    for (let i = 0; i < 100; i++) a.observe(obs({ verb: 'watch', watchEnd: { durationMs: 1, reason: `e${i}` } }));
    const row = a.report().userAgents[0]!;
    expect(row.topReasons[0]).toEqual({ servedBy: 'etcd', reason: '(other)', count: 85 });
    expect(row.watches.endReasons.find((e) => e.reason === '(other)')!.count).toBe(89);
  });
});
