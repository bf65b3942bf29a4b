// kube-apiserver's compaction protocol on compact_rev_key, and what EtcdCompactions learns from
// it and from etcd itself, against a real etcd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdProcess } from './process.js';
import { EtcdSource } from './source.js';
import { EtcdCompactions, compactLikeKubeApiserver, compactRevKey } from './compact.js';

async function until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('compactions against real etcd', () => {
  let etcd: EtcdProcess;
  let src: EtcdSource;
  let tracker: EtcdCompactions;
  beforeAll(async () => {
    etcd = await startEtcd();
    src = await EtcdSource.connect({ endpoints: [etcd.endpoint] });
    tracker = new EtcdCompactions(src.client, { probeMs: 100, retryMs: 100 });
    tracker.start();
  });
  afterAll(async () => {
    tracker?.stop();
    await src?.close();
    await etcd?.stop();
  });

  const write = (i: number) => src.client.put(`/registry/configmaps/c/x${i}`, `{"metadata":{"name":"x${i}","namespace":"c"}}`);

  it('follows compact_rev_key as the etcd3 store does, and etcd\'s own compaction revision apart from it', async () => {
    expect(tracker.keyRevision).toBe(0);
    // A direct compaction: etcd's revision moves, the key (kube-apiserver's knowledge) does not.
    const r1 = await write(1);
    await write(2);
    await src.client.compact(r1);
    await until(() => tracker.etcdRevision === r1, 5000, 'etcd compaction revision');
    expect(tracker.keyRevision).toBe(0);

    // kube-apiserver's compactor: the bootstrap step records 0 and compacts nothing...
    const boot = await compactLikeKubeApiserver(src.client, 0, 0);
    expect(boot).toMatchObject({ currentVersion: 1, compactRev: 0 });
    expect((await src.client.range({ key: Buffer.from(compactRevKey) })).kvs[0]!.value.toString()).toBe('0');
    // ...the next one compacts at the revision the previous step saw and records it first.
    await write(3);
    const step = await compactLikeKubeApiserver(src.client, boot.currentVersion, boot.currentRev);
    expect(step).toMatchObject({ currentVersion: 2, compactRev: boot.currentRev });
    await until(() => tracker.keyRevision === boot.currentRev, 5000, 'compact_rev_key');
    await until(() => tracker.etcdRevision === boot.currentRev, 5000, 'etcd compaction revision');
    await expect(src.client.range({ key: Buffer.from('/registry/'), revision: boot.currentRev - 1 })).rejects.toThrow(/compacted/);

    // A second compactor with a stale view loses the compare and learns the recorded revision.
    const lost = await compactLikeKubeApiserver(src.client, 1, step.currentRev);
    expect(lost).toMatchObject({ currentVersion: 2, compactRev: boot.currentRev });
    expect(tracker.etcdRevision).toBe(boot.currentRev);
  });

  it('keeps following the key after etcd restarts', async () => {
    await etcd.restart();
    for (let i = 0; ; i++) {
      try {
        await write(4);
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const v = (await src.client.range({ key: Buffer.from(compactRevKey) })).kvs[0]!;
    const r = await write(5);
    const step = await compactLikeKubeApiserver(src.client, Number(v.version), r);
    expect(step.compactRev).toBe(r);
    await until(() => tracker.keyRevision === r, 10_000, 'compact_rev_key after a restart');
    await until(() => tracker.etcdRevision === r, 10_000, 'etcd compaction revision after a restart');
  });

  it("forgets etcd's compaction revision when the endpoint becomes another, younger etcd (a new data dir)", async () => {
    const port = etcd.clientPort;
    expect(tracker.etcdRevision).toBeGreaterThan(0);
    await etcd.stop();
    etcd = await startEtcd({ clientPort: port });
    await until(() => tracker.etcdRevision === 0, 15_000, 'the compaction revision of the new etcd');
  });
});
