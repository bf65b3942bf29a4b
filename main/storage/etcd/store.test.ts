import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdProcess } from './process.js';
import { EtcdSource } from './source.js';
import { ContinueExpiredError, EtcdStore, CONTINUE_TOO_OLD_MESSAGE } from './store.js';
import { StatusError, isTooLargeResourceVersion } from '../errors.js';
import type { KubeObject } from '../object.js';

const cm = (ns: string, name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels, uid: `uid-${ns}-${name}` }, data,
});

async function expectStatus(p: Promise<unknown>, code: number, message: string | RegExp): Promise<StatusError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err, 'expected a StatusError').toBeInstanceOf(StatusError);
  const se = err as StatusError;
  expect(se.code).toBe(code);
  if (typeof message === 'string') expect(se.message).toBe(message);
  else expect(se.message).toMatch(message);
  return se;
}

describe('EtcdStore (delegated reads and writes) against real etcd', () => {
  let etcd: EtcdProcess;
  let src: EtcdSource;
  let store: EtcdStore;
  let revAfterSeed = 0;

  beforeAll(async () => {
    etcd = await startEtcd();
    src = await EtcdSource.connect({ endpoints: [etcd.endpoint] });
    store = new EtcdStore(src, { group: '', resource: 'configmaps', collectionKey: '/registry/configmaps/' });
    // 30 objects in ns a (every third labelled), 5 in ns b.
    for (let i = 0; i < 30; i++) {
      await store.create('a', `cm-${String(i).padStart(2, '0')}`, cm('a', `cm-${i}`, i % 3 === 0 ? { pick: 'yes' } : {}));
    }
    for (let i = 0; i < 5; i++) await store.create('b', `x-${i}`, cm('b', `x-${i}`));
    revAfterSeed = await store.currentRevision();
  });
  afterAll(async () => {
    await src?.close();
    await etcd?.stop();
  });

  it('lists everything or one namespace at latest', async () => {
    const all = await store.getList();
    expect(all.items).toHaveLength(35);
    expect(all.resourceVersion).toBe(revAfterSeed);
    expect(all.continueKey).toBeUndefined();
    const b = await store.getList({ namespace: 'b' });
    expect(b.items.map((i) => i.object.metadata.name)).toEqual(['x-0', 'x-1', 'x-2', 'x-3', 'x-4']);
    const one = await store.getList({ namespace: 'a', name: 'cm-07' });
    expect(one.items.map((i) => i.key)).toEqual(['/registry/configmaps/a/cm-07']);
  });

  it('pages with limit/continue at one pinned revision, with remainingItemCount', async () => {
    const p1 = await store.getList({ namespace: 'a', limit: 10 });
    expect(p1.items).toHaveLength(10);
    expect(p1.continueKey).toBe('a/cm-09');
    expect(p1.remainingItemCount).toBe(20);
    // A write between pages must not show up in page 2 (pinned to page 1's revision).
    await store.create('a', 'cm-15b', cm('a', 'cm-15b'));
    const p2 = await store.getList({ namespace: 'a', limit: 10, continueKey: p1.continueKey, continueRevision: p1.resourceVersion });
    expect(p2.resourceVersion).toBe(p1.resourceVersion);
    expect(p2.items.map((i) => i.object.metadata.name)[0]).toBe('cm-10');
    expect(p2.items.map((i) => i.key)).not.toContain('/registry/configmaps/a/cm-15b');
    expect(p2.remainingItemCount).toBe(10);
    const p3 = await store.getList({ namespace: 'a', limit: 10, continueKey: p2.continueKey, continueRevision: p2.resourceVersion });
    expect(p3.items).toHaveLength(10);
    expect(p3.continueKey).toBeUndefined();
    expect(p3.remainingItemCount).toBeUndefined();
    // Continue at latest (-1) sees the new object.
    const latest = await store.getList({ namespace: 'a', limit: 100, continueKey: 'a/cm-15', continueRevision: -1 });
    expect(latest.items[0]!.key).toBe('/registry/configmaps/a/cm-15b');
    await store.delete('a', 'cm-15b');
  });

  it('keeps fetching with doubling pages until a filtered page is full', async () => {
    const filter = (o: { object: KubeObject }) => o.object.metadata.labels?.pick === 'yes';
    const page = await store.getList({ namespace: 'a', limit: 4, filter, hasSelectors: true });
    // Matches are cm-00, 03, 06, 09: reaching the 4th needs 10 keys, more than the first page of 4.
    expect(page.items.map((i) => i.object.metadata.name)).toEqual(['cm-0', 'cm-3', 'cm-6', 'cm-9']);
    expect(page.continueKey).toBe('a/cm-09');
    expect(page.remainingItemCount).toBeUndefined();
    const rest = await store.getList({ namespace: 'a', limit: 100, filter, hasSelectors: true, continueKey: page.continueKey, continueRevision: page.resourceVersion });
    expect(rest.items).toHaveLength(6);
    expect(rest.continueKey).toBeUndefined();
  });

  it('reads at an exact revision, refuses compacted (410) and future (504) ones', async () => {
    const before = await store.get('cm-01', 'a');
    const updated = await store.update('a', 'cm-01', cm('a', 'cm-01', {}, { v: 'new' }), before.object!.resourceVersion);
    const exact = await store.getList({ namespace: 'a', name: 'cm-01', revision: before.object!.resourceVersion });
    expect(exact.items[0]!.object.data).toEqual({});
    const now = await store.getList({ namespace: 'a', name: 'cm-01' });
    expect(now.items[0]!.object.data).toEqual({ v: 'new' });
    expect(now.items[0]!.resourceVersion).toBe(updated.resourceVersion);

    const current = await store.currentRevision();
    const tooLarge = await expectStatus(store.getList({ revision: current + 100 }), 504, `Timeout: Too large resource version: ${current + 100}, current: ${current}`);
    expect(isTooLargeResourceVersion(tooLarge)).toBe(true);
    await expectStatus(store.getList({ minRevision: current + 5 }), 504, `Timeout: Too large resource version: ${current + 5}, current: ${current}`);
    expect((await store.getList({ minRevision: current })).resourceVersion).toBe(current);

    const page = await store.getList({ namespace: 'a', limit: 5 });
    await store.update('a', 'cm-02', cm('a', 'cm-02', {}, { v: '2' }));
    await store.compact(await store.currentRevision());
    const gone = await expectStatus(store.getList({ revision: page.resourceVersion }), 410, 'The resourceVersion for the provided list is too old.');
    expect(gone.reason).toBe('Expired');
    const cont = await expectStatus(
      store.getList({ namespace: 'a', limit: 5, continueKey: page.continueKey, continueRevision: page.resourceVersion }),
      410,
      CONTINUE_TOO_OLD_MESSAGE,
    );
    expect(cont).toBeInstanceOf(ContinueExpiredError);
    expect((cont as ContinueExpiredError).continueKey).toBe(page.continueKey);
    expect((cont as ContinueExpiredError).continueRevision).toBe(-1);
    expect(cont.message.startsWith('The provided continue parameter is too old to display a consistent list result.')).toBe(true);
  });

  it('create/update/delete: AlreadyExists, Conflict, NotFound, preconditions', async () => {
    const created = await store.create('c', 'w', cm('c', 'w'));
    expect(created.object.metadata.resourceVersion).toBe(String(created.resourceVersion));
    await expectStatus(store.create('c', 'w', cm('c', 'w')), 409, 'configmaps "w" already exists');
    // Stored without resourceVersion (PrepareObjectForStorage).
    const raw = await src.client.range({ key: Buffer.from('/registry/configmaps/c/w') });
    expect(JSON.parse(raw.kvs[0]!.value.toString()).metadata.resourceVersion).toBeUndefined();

    const u1 = await store.update('c', 'w', cm('c', 'w', {}, { a: '1' }), created.resourceVersion);
    expect(u1.resourceVersion).toBeGreaterThan(created.resourceVersion);
    const conflict = await expectStatus(
      store.update('c', 'w', cm('c', 'w', {}, { a: 'stale' }), created.resourceVersion),
      409,
      'Operation cannot be fulfilled on configmaps "w": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(conflict.reason).toBe('Conflict');
    await expectStatus(store.update('c', 'nope', cm('c', 'nope')), 404, 'configmaps "nope" not found');
    await expectStatus(store.update('c', 'nope', cm('c', 'nope'), 5), 404, 'configmaps "nope" not found');

    await expectStatus(store.delete('c', 'w', { uid: 'other' }), 409, /Precondition failed: UID in precondition: other, UID in object meta: uid-c-w/);
    await expectStatus(store.delete('c', 'w', { resourceVersion: String(created.resourceVersion) }), 409, /Precondition failed: ResourceVersion in precondition/);
    const deleted = await store.delete('c', 'w', { uid: 'uid-c-w', resourceVersion: String(u1.resourceVersion) });
    expect(deleted.object.data).toEqual({ a: '1' });
    expect(deleted.resourceVersion).toBeGreaterThan(u1.resourceVersion);
    expect((await store.get('w', 'c')).object).toBeUndefined();
    await expectStatus(store.delete('c', 'w'), 404, 'configmaps "w" not found');
    const gr = new EtcdStore(src, { group: 'apps', resource: 'deployments', collectionKey: '/registry/deployments/' });
    await expectStatus(gr.delete('x', 'y'), 404, 'deployments.apps "y" not found');
  });
});
