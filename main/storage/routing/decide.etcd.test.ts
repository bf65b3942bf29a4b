// Against a real etcd: the router's view of etcd (its version → RequestWatchProgress trust, its
// revision → the cache RV) drives the decisions upstream makes on the same etcd (§12: 1.36 on
// etcd 3.4.23 sends consistent lists to etcd and answers watch-lists with one ERROR event).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { startEtcd, findEtcdBinary, type EtcdProcess } from '../etcd/process.js';
import { decide, type CacheState, type RoutingRequest } from './decide.js';
import { etcdSupportsRequestWatchProgress, profile1_34, profile1_37, profile1_28 } from './profiles.js';

const etcdBin = findEtcdBinary();
if (!etcdBin) console.warn('decide.etcd.test.ts: etcd not found, skipping');

(etcdBin ? describe : describe.skip)('routing fed by a real etcd', () => {
  let etcd: EtcdProcess;
  let client: Etcd3;
  let cache: CacheState;
  let version = '';
  beforeAll(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.endpoint });
    await client.put('/registry/pods/default/a').value('{}');
    const status = await client.maintenance.status();
    version = status.version;
    cache = {
      enabled: true,
      ready: true,
      resourceVersion: Number(status.header.revision),
      etcdSupportsRequestWatchProgress: etcdSupportsRequestWatchProgress(status.version),
      oldestResourceVersion: 1,
    };
  });
  afterAll(async () => {
    client?.close();
    await etcd?.stop();
  });

  const list = (query: Record<string, string>): RoutingRequest => ({ verb: 'list', group: '', resource: 'pods', recursive: true, query });

  it('reads the etcd version and applies upstream\'s RequestWatchProgress rule to it', () => {
    expect(version).toMatch(/^3\.\d+\.\d+/);
    const [maj, min, pat] = version.split('.').map(Number) as [number, number, number];
    const trusted = maj > 3 || (min === 4 && pat >= 31) || (min === 5 && pat >= 13) || min >= 6;
    expect(cache.etcdSupportsRequestWatchProgress).toBe(trusted);
    expect(cache.resourceVersion).toBeGreaterThan(1);
  });

  it('routes a consistent LIST and a watch-list the way 1.34+ does on this etcd', () => {
    const l1 = decide(list({}), cache, profile1_34);
    const wl = decide({ verb: 'watch', group: '', resource: 'pods', recursive: true, query: { allowWatchBookmarks: 'true' } }, cache, profile1_37);
    if (cache.etcdSupportsRequestWatchProgress) {
      expect(l1).toMatchObject({ servedBy: 'cache', reason: 'consistentReadFromCache' });
      expect(wl).toMatchObject({ servedBy: 'cache', reason: 'consistentReadFromCache', initialEventsEndBookmark: true });
    } else {
      expect(l1).toMatchObject({ servedBy: 'etcd', reason: 'consistentReadFromStorage' });
      expect(wl).toMatchObject({ servedBy: 'cache', reason: 'etcdLacksProgress', errorDelivery: 'watchEvent' });
      expect(wl.error?.toStatus()).toMatchObject({ code: 500, reason: 'InternalError' });
    }
  });

  it('an exact read ahead of etcd\'s revision waits in the cache only when progress is trusted', async () => {
    const rev = Number((await client.put('/registry/pods/default/b').value('{}')).header.revision);
    const exact = decide(list({ resourceVersion: String(rev + 5), resourceVersionMatch: 'Exact' }), { ...cache, resourceVersion: rev }, profile1_34);
    expect(exact.servedBy).toBe(cache.etcdSupportsRequestWatchProgress ? 'cache' : 'etcd');
    expect(exact.reason).toBe(cache.etcdSupportsRequestWatchProgress ? 'exactRVFromSnapshot' : 'futureRVFromStorage');
    // 1.28 with the alpha gate ignored etcd's version entirely: the limit rule sends it to etcd.
    expect(decide(list({ resourceVersion: String(rev), limit: '1' }), cache, profile1_28)).toMatchObject({ servedBy: 'etcd', reason: 'hasLimit' });
  });
});
