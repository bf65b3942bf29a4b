// Child-process side of bench/memory.ts (run with --expose-gc): heap growth of a Ready pods
// Cacher over the objects in etcd, and of the same objects merely listed, for the breakdown.
import { EtcdSource } from '../main/storage/etcd/source.js';
import { podsCacher } from './pods-cacher.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const parts: { heapUsed: number; external: number }[] = [];
function settledHeap(): number {
  for (let i = 0; i < 4; i++) gc!();
  const m = process.memoryUsage();
  parts.push({ heapUsed: m.heapUsed, external: m.external });
  return m.heapUsed + m.external;
}

export interface MemoryChildResult {
  objects: number;
  /** Heap growth of a Ready cacher holding everything. */
  cacherBytes: number;
  /** Heap growth of just the listed StoredObjects (parsed JSON + key + metadata). */
  listedBytes: number;
  /** Of cacherBytes: growth of the JS heap and of memory outside it (Buffers). */
  cacherHeapUsed: number;
  cacherExternal: number;
}

const endpoint = process.argv[2]!;
const source = await EtcdSource.connect({ endpoints: [endpoint] });
// Warm the code paths once so compiled code and caches are not counted as cache memory.
{
  const warm = await source.list('/registry/pods/ns-0/');
  void warm.items.length;
}
const h0 = settledHeap();
const cacher = podsCacher(source);
cacher.start();
await cacher.waitReady();
const h1 = settledHeap();
const objects = cacher.watchCache.store.size;
await cacher.stop();
const h2 = settledHeap();
const listed = await source.list('/registry/pods/');
const h3 = settledHeap();
const result: MemoryChildResult = {
  objects,
  cacherBytes: h1 - h0,
  listedBytes: h3 - h2,
  cacherHeapUsed: parts[1]!.heapUsed - parts[0]!.heapUsed,
  cacherExternal: parts[1]!.external - parts[0]!.external,
};
void listed.items.length;
process.send?.(result);
await source.close();
process.disconnect?.();
