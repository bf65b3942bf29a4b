// The shared revision read against a real etcd, through a forwarding source as the server wires
// it: two collections' Freshness learn etcd's revision from one range read per period.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEtcd, type EtcdProcess } from '../etcd/process.js';
import { EtcdSource } from '../etcd/source.js';
import { encodeJSON } from '../etcd/codec.js';
import { ForwardingSource } from '../forwarding-source.js';
import type { SourceWatch, SourceWatchHandlers } from '../source.js';
import { realClock } from './clock.js';
import { Freshness } from './freshness.js';

class CountingSource extends ForwardingSource {
  reads = 0;
  override currentRevision(prefix: string): Promise<number> {
    this.reads++;
    return super.currentRevision(prefix);
  }
  watch(prefix: string, afterRevision: number, handlers: SourceWatchHandlers): SourceWatch {
    return this.inner.watch(prefix, afterRevision, handlers);
  }
}

let etcd: EtcdProcess;
let src: EtcdSource;
beforeAll(async () => {
  etcd = await startEtcd();
  src = await EtcdSource.connect({ endpoints: [etcd.endpoint] });
}, 60_000);
afterAll(async () => {
  await src?.close();
  await etcd?.stop();
});

it('two collections share one etcd range read per period and both see the revision a write made', async () => {
  const counting = new CountingSource(src);
  expect(counting.revisionScope).toBe('store');
  const rev = await src.client.put('/registry/configmaps/default/a', encodeJSON({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' } }));
  const pods = new Freshness(realClock, () => 0);
  const cms = new Freshness(realClock, () => 0);
  pods.poll(counting, '/registry/pods/', 50);
  cms.poll(counting, '/registry/configmaps/', 50);
  try {
    const end = Date.now() + 15_000;
    while (pods.lag().sourceRevision < rev || cms.lag().sourceRevision < rev) {
      if (Date.now() > end) throw new Error(`Freshness did not learn revision ${rev}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // Both learnt it, and from one read each period: each read reaches both.
    const readsBefore = counting.reads;
    await new Promise((r) => setTimeout(r, 500));
    const reads = counting.reads - readsBefore;
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThanOrEqual(11);
    expect(pods.lag()).toMatchObject({ sourceRevision: rev, lagRevisions: rev });
    expect(cms.lag()).toMatchObject({ sourceRevision: rev, lagRevisions: rev });
  } finally {
    pods.stop();
    cms.stop();
  }
});
