// 3. Memory of the cache: heap growth of a Ready cacher holding 50k ~1 KB pods ÷ the raw bytes
// etcd stores for them. Each sample runs in a fresh child process with --expose-gc so earlier
// samples and this process's own heap do not blur the figure.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { startEtcd, type EtcdProcess } from '../main/storage/etcd/process.js';
import { EtcdSource } from '../main/storage/etcd/source.js';
import { benchDir, fmt, loadPods, runAlone, stat, verdict, type BenchRow } from './lib.js';
import type { MemoryChildResult } from './memory-child.js';

export interface LoadedEtcd {
  etcd: EtcdProcess;
  objects: number;
  rawBytes: number;
}

/** An etcd holding `n` realistic pods (shared by the memory and LIST benches in one run). */
export async function etcdWithPods(n = 50_000): Promise<LoadedEtcd> {
  const etcd = await startEtcd({ extraArgs: ['--quota-backend-bytes', String(4 * 1024 ** 3)] });
  const src = await EtcdSource.connect({ endpoints: [etcd.endpoint] });
  try {
    const { rawBytes } = await loadPods(src.client, n);
    return { etcd, objects: n, rawBytes };
  } catch (e) {
    await etcd.stop();
    throw e;
  } finally {
    await src.close();
  }
}

function sampleChild(endpoint: string): Promise<MemoryChildResult> {
  const child = fork(join(benchDir, 'memory-child.ts'), [endpoint], { execArgv: ['--expose-gc', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let got: MemoryChildResult | undefined;
    child.once('message', (m: MemoryChildResult) => (got = m));
    child.once('exit', (code) => (got ? resolve(got) : reject(new Error(`memory child exited with ${code} before reporting`))));
  });
}

export async function runMemory(o: { loaded?: LoadedEtcd; samples?: number } = {}): Promise<BenchRow[]> {
  const loaded = o.loaded ?? (await etcdWithPods());
  const samples: MemoryChildResult[] = [];
  try {
    for (let i = 0; i < (o.samples ?? 3); i++) samples.push(await sampleChild(loaded.etcd.endpoint));
  } finally {
    if (!o.loaded) await loaded.etcd.stop();
  }
  for (const s of samples) if (s.objects !== loaded.objects) throw new Error(`cacher held ${s.objects} objects, expected ${loaded.objects}`);
  const ratio = stat(samples.map((s) => s.cacherBytes / loaded.rawBytes));
  const perObj = stat(samples.map((s) => s.cacherBytes / loaded.objects));
  const listed = stat(samples.map((s) => s.listedBytes / loaded.objects));
  const raw = loaded.rawBytes / loaded.objects;
  return [
    {
      id: '3',
      name: `cache memory, ${fmt(loaded.objects)} pods`,
      ratioOf: 'heap growth of a Ready cacher (heapUsed + external, after GC) ÷ sum of etcd value sizes',
      ratio,
      target: '≤ 1.5',
      verdict: verdict(ratio, (x) => x <= 1.5),
      details: {
        'raw stored bytes': `${fmt(loaded.rawBytes / 1024 ** 2)} MiB (${fmt(raw)} B per object)`,
        'cacher heap per object': `${fmt(perObj.median)} B [${fmt(perObj.min)}..${fmt(perObj.max)}]`,
        'of which the parsed StoredObject (a plain list, no cacher)': `${fmt(listed.median)} B per object (${fmt(listed.median / raw)} × raw)`,
        'cacher overhead beyond the parsed objects (store element, labels, fields, key index)': `${fmt(perObj.median - listed.median)} B per object`,
        samples: `${samples.length} fresh child processes`,
        'load average (1 min)': fmt(loadavg()[0]!),
      },
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) await runAlone(() => runMemory());
