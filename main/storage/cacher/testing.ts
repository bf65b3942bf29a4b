// Test hooks into a Cacher's state that no production path offers, for tests that must make the
// cache wrong on purpose (the consistency checker's).
import type { KubeObject } from '../object.js';
import type { Cacher } from './cacher.js';

/** Changes the cached copy of `key` in place, as a bug in the cache would: etcd is not told. */
export function corruptCachedObject(cacher: Cacher, key: string, mutate: (o: KubeObject) => void): void {
  const e = cacher.watchCache.store.get(key);
  if (!e) throw new Error(`the cache holds no ${key}`);
  mutate(e.stored.object);
}
