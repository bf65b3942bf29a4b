// The periodic revision read: shared by every Freshness on a source whose revision is the whole
// store's, one read per collection otherwise; against a fake clock and source here, against etcd
// in freshness.etcd.test.ts.
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';
import { FakeSource } from './fake_source.js';
import { Freshness } from './freshness.js';

class CountingSource extends FakeSource {
  reads: string[] = [];
  constructor(readonly revisionScope?: 'store') {
    super();
  }
  override async currentRevision(prefix?: string): Promise<number> {
    this.reads.push(prefix ?? '');
    return this.revision;
  }
}

const flush = () => new Promise<void>((r) => setImmediate(r));

async function tick(clock: FakeClock, ms: number): Promise<void> {
  clock.advance(ms);
  await flush();
}

describe('Freshness periodic revision read', () => {
  it('one read per period serves every Freshness of a store-wide source, and each sees its lag', async () => {
    const clock = new FakeClock();
    const src = new CountingSource('store');
    let podsRV = 1;
    let cmRV = 1;
    const pods = new Freshness(clock, () => podsRV);
    const cms = new Freshness(clock, () => cmRV);
    pods.poll(src, '/registry/pods/', 1000);
    cms.poll(src, '/registry/configmaps/', 1000);
    src.revision = 7;
    await tick(clock, 1000);
    expect(src.reads).toHaveLength(1);
    expect(pods.lag()).toMatchObject({ sourceRevision: 7, lagRevisions: 6 });
    expect(cms.lag()).toMatchObject({ sourceRevision: 7, lagRevisions: 6 });
    podsRV = 7;
    cmRV = 5;
    src.revision = 9;
    await tick(clock, 1000);
    expect(src.reads).toHaveLength(2);
    expect(pods.lag()).toMatchObject({ sourceRevision: 9, lagRevisions: 2 });
    expect(cms.lag()).toMatchObject({ sourceRevision: 9, lagRevisions: 4 });

    // One stops: the other still polls; both stopped: no timer and no read left.
    pods.stop();
    src.revision = 10;
    await tick(clock, 1000);
    expect(src.reads).toHaveLength(3);
    expect(cms.lag().sourceRevision).toBe(10);
    expect(pods.lag().sourceRevision).toBe(9);
    cms.stop();
    expect(clock.pendingTimers).toBe(0);
    await tick(clock, 5000);
    expect(src.reads).toHaveLength(3);
  });

  it('a new Freshness on a source whose poll went idle starts it again', async () => {
    const clock = new FakeClock();
    const src = new CountingSource('store');
    const a = new Freshness(clock, () => 0);
    a.poll(src, '/registry/pods/', 500);
    a.stop();
    const b = new Freshness(clock, () => 0);
    b.poll(src, '/registry/pods/', 500);
    src.revision = 3;
    await tick(clock, 500);
    expect(src.reads).toHaveLength(1);
    expect(b.lag().sourceRevision).toBe(3);
    b.stop();
  });

  it('a source whose revision is per collection is read once per collection, with its own prefix', async () => {
    const clock = new FakeClock();
    const src = new CountingSource();
    const pods = new Freshness(clock, () => 0);
    const cms = new Freshness(clock, () => 0);
    pods.poll(src, '/registry/pods/', 1000);
    cms.poll(src, '/registry/configmaps/', 1000);
    await tick(clock, 1000);
    expect(src.reads.sort()).toEqual(['/registry/configmaps/', '/registry/pods/']);
    pods.stop();
    cms.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  it('different periods on one source are separate polls', async () => {
    const clock = new FakeClock();
    const src = new CountingSource('store');
    const a = new Freshness(clock, () => 0);
    const b = new Freshness(clock, () => 0);
    a.poll(src, '/registry/pods/', 1000);
    b.poll(src, '/registry/pods/', 250);
    await tick(clock, 250);
    expect(src.reads).toHaveLength(1);
    for (let i = 0; i < 3; i++) await tick(clock, 250);
    expect(src.reads).toHaveLength(5);
    a.stop();
    b.stop();
  });
});
