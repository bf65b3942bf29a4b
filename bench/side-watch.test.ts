// The side-by-side bench's watch client against what the real servers send: kube-apiserver v1.36
// and watchscope on one etcd, each watch ended by the server (timeoutSeconds), with a bookmark
// before the end and an event far larger than a TLS record, so a chunk arrives over several reads
// and lines end mid-read. Every line the client hands on must be a whole event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdProcess } from '../main/storage/etcd/process.js';
import { EtcdSource } from '../main/storage/etcd/source.js';
import { encodeJSON } from '../main/storage/etcd/codec.js';
import { openEtcdStack } from '../main/etcd-mode.js';
import { resolveProfile } from '../main/storage/routing/profiles.js';
import { findKubeApiserver136, KUBE_136_MISSING_MESSAGE, startKube136, type RealApiserver } from '../main/storage/kube/testing/kube-1.36.js';
import { configMapKey, sleep, stampedConfigMap, until } from './lib.js';
import { getAll } from './list.js';
import { readStamp } from './side-watch-stream.js';
import { openWatches, type SideTarget } from './side-watch.js';

const kubeBin = findKubeApiserver136();
if (!kubeBin) console.warn(`SKIPPED side-watch.test.ts: ${KUBE_136_MISSING_MESSAGE}`);

describe.skipIf(!kubeBin)('side-by-side watch client against kube-apiserver v1.36 and watchscope', () => {
  let etcd: EtcdProcess;
  let src: EtcdSource;
  let kube: RealApiserver;
  let stack: Awaited<ReturnType<typeof openEtcdStack>>;
  const targets: Record<string, SideTarget> = {};
  const namespace: Record<string, string> = { 'kube-apiserver': 'w-kube', watchscope: 'w-watchscope' };
  /** The revision of each namespace's last write before its watches open. */
  const from: Record<string, number> = {};

  beforeAll(async () => {
    etcd = await startEtcd({ progressNotifyInterval: '5s' });
    src = await EtcdSource.connect({ endpoints: [etcd.endpoint] });
    for (const ns of Object.values(namespace)) for (let i = 0; i < 3; i++) from[ns] = await src.client.put(configMapKey(ns, `cm-${i}`), encodeJSON(stampedConfigMap(ns, `cm-${i}`, i)));
    kube = await startKube136(etcd.endpoint);
    stack = await openEtcdStack({ etcd: { endpoints: [etcd.endpoint] }, profile: () => resolveProfile('1.34') });
    await stack.backend.waitReady();
    targets['kube-apiserver'] = { url: kube.server, token: kube.token, caPem: kube.ca.toString('utf8') };
    targets.watchscope = { url: stack.server.url, token: stack.server.token, caPem: stack.server.caPem };
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
    await kube?.stop();
    await src?.close();
    await etcd?.stop();
  });

  for (const server of ['kube-apiserver', 'watchscope']) {
    it(`${server}: whole events across reads, a bookmark, and the watch the server ends`, async () => {
      const ns = namespace[server]!;
      // As the bench does: watch from the resourceVersion a cached LIST answers with, once the
      // cache has the namespace's writes (a newer one would wait on etcd progress notifications).
      let rv = 0;
      for (const end = Date.now() + 30_000; rv < from[ns]!; await sleep(50)) {
        if (Date.now() > end) throw new Error(`${server}'s cache did not reach revision ${from[ns]}`);
        const g = await getAll(targets[server]!, `/api/v1/namespaces/${ns}/configmaps?resourceVersion=0`, true);
        rv = Number((JSON.parse(g.body!) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
      }
      const seen: { type: string; name: string; payload: number; stamp: number }[] = [];
      let changes = 0;
      const { watches, connected } = openWatches(
        targets[server]!,
        2,
        `/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=5`,
        (line) => {
          const e = JSON.parse(line.toString('utf8')) as { type: string; object: { metadata: { name: string }; data: { payload: string } } };
          seen.push({ type: e.type, name: e.object.metadata.name, payload: e.object.data.payload.length, stamp: readStamp(line) });
        },
        () => changes++,
      );
      await connected;
      const big = stampedConfigMap(ns, 'big', 99);
      big.data = { ...(big.data as Record<string, string>), payload: 'y'.repeat(200_000) };
      await src.client.put(configMapKey(ns, 'big'), encodeJSON(big));
      await src.client.put(configMapKey(ns, 'cm-0'), encodeJSON(stampedConfigMap(ns, 'cm-0', 100)));
      await until(() => watches.every((w) => w.ended), 60_000, `${server} to end both watches`, 50);
      for (const w of watches) {
        expect(w.complete, 'ended by the terminating chunk').toBe(true);
        expect(w.error).toBeUndefined();
        expect(w.events).toBe(2);
        expect(w.bookmarks, 'a bookmark before the watch ends').toBeGreaterThanOrEqual(1);
      }
      const names = seen.map((e) => `${e.type} ${e.name}`).sort();
      expect(names).toEqual(['ADDED big', 'ADDED big', 'MODIFIED cm-0', 'MODIFIED cm-0']);
      expect(seen.filter((e) => e.name === 'big').map((e) => e.payload)).toEqual([200_000, 200_000]);
      for (const e of seen) expect(Number.isFinite(e.stamp) && e.stamp > 0).toBe(true);
      expect(changes).toBeGreaterThan(0);
    }, 90_000);
  }
});
