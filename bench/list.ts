// 4. LIST of 50k pods through the HTTP endpoint: the same LIST served from the watch cache
// (resourceVersion=0) and delegated to etcd (profile 1.27, resourceVersion="": a quorum list
// from etcd), read to the last byte by a real HTTPS client; and the server's memory peak during
// the cached LIST ÷ the response size. The server runs in a child process so its memory is its
// own.
import { fork, type ChildProcess } from 'node:child_process';
import { request } from 'node:https';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { benchDir, fmt, runAlone, stat, verdict, type BenchRow } from './lib.js';
import { etcdWithPods, type LoadedEtcd } from './memory.js';
import type { ListChildMessage, ListChildRequest } from './list-server-child.js';

interface Server {
  child: ChildProcess;
  url: string;
  token: string;
  caPem?: string;
  ask<T extends ListChildMessage['type']>(m: ListChildRequest & { type: T }): Promise<Extract<ListChildMessage, { type: T }>>;
}

async function startServerChild(endpoint: string): Promise<Server> {
  const child = fork(join(benchDir, 'list-server-child.ts'), [endpoint, '1.27'], { execArgv: ['--expose-gc', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<Extract<ListChildMessage, { type: 'ready' }>>((resolve, reject) => {
    child.once('message', (m: ListChildMessage) => (m.type === 'ready' ? resolve(m) : reject(new Error(`list server: ${JSON.stringify(m)}`))));
    child.once('exit', (code) => reject(new Error(`list server exited early (${code})`)));
  });
  return {
    child,
    url: ready.url,
    token: ready.token,
    caPem: ready.caPem,
    ask: (m) =>
      new Promise((resolve) => {
        const on = (r: ListChildMessage) => {
          if (r.type !== m.type) return;
          child.off('message', on);
          resolve(r as never);
        };
        child.on('message', on);
        child.send(m);
      }),
  };
}

export interface Got {
  ms: number;
  bytes: number;
  status: number;
  body?: string;
}

/** One GET read to the last byte (the body kept only when asked), timed from the request. */
export function getAll(s: Pick<Server, 'url' | 'token' | 'caPem'>, path: string, keepBody: boolean): Promise<Got> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(new URL(path, s.url), { headers: { Authorization: `Bearer ${s.token}`, Accept: 'application/json' }, ca: s.caPem }, (res) => {
      let bytes = 0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (keepBody) chunks.push(c);
      });
      res.on('end', () => {
        const got: Got = { ms: performance.now() - t0, bytes, status: res.statusCode ?? 0 };
        if (keepBody) got.body = Buffer.concat(chunks).toString('utf8');
        resolve(got);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export async function runList(o: { loaded?: LoadedEtcd; rounds?: number } = {}): Promise<BenchRow[]> {
  const loaded = o.loaded ?? (await etcdWithPods());
  const rounds = o.rounds ?? 3;
  const server = await startServerChild(loaded.etcd.endpoint);
  const paths = { cache: '/api/v1/pods?resourceVersion=0', etcd: '/api/v1/pods' } as const;
  const ms: Record<keyof typeof paths, number[]> = { cache: [], etcd: [] };
  const rss: Record<keyof typeof paths, number[]> = { cache: [], etcd: [] };
  const heap: Record<keyof typeof paths, number[]> = { cache: [], etcd: [] };
  const size: Record<keyof typeof paths, number> = { cache: 0, etcd: 0 };
  const routed: Record<keyof typeof paths, string> = { cache: '', etcd: '' };
  let peakResettable = true;
  try {
    // One unmeasured pass each, verified: right status, every object, and the expected route.
    for (const mode of ['cache', 'etcd'] as const) {
      await server.ask({ type: 'reset' });
      const g = await getAll(server, paths[mode], true);
      const r = await server.ask({ type: 'report' });
      if (g.status !== 200) throw new Error(`LIST ${paths[mode]} answered ${g.status}: ${g.body?.slice(0, 300)}`);
      const n = (JSON.parse(g.body!) as { items: unknown[] }).items.length;
      if (n !== loaded.objects) throw new Error(`LIST ${paths[mode]} returned ${n} items, expected ${loaded.objects}`);
      const want = mode === 'cache' ? 'cache' : 'etcd';
      if (r.servedBy !== want) throw new Error(`LIST ${paths[mode]} was served by ${r.servedBy} (${r.reason}), expected ${want}`);
      routed[mode] = `${r.servedBy} (${r.reason})`;
    }
    for (let i = 0; i < rounds; i++) {
      for (const mode of ['cache', 'etcd'] as const) {
        const reset = await server.ask({ type: 'reset' });
        peakResettable &&= reset.peakResettable;
        const g = await getAll(server, paths[mode], false);
        const r = await server.ask({ type: 'report' });
        if (g.status !== 200) throw new Error(`LIST ${paths[mode]} answered ${g.status}`);
        ms[mode].push(g.ms);
        rss[mode].push(r.rssPeakGrowth / g.bytes);
        heap[mode].push(r.heapPeakGrowth / g.bytes);
        size[mode] = g.bytes;
      }
    }
  } finally {
    server.child.send({ type: 'close' } satisfies ListChildRequest);
    await new Promise((r) => server.child.once('exit', r));
    if (!o.loaded) await loaded.etcd.stop();
  }
  const latency = stat(ms.cache.map((c, i) => c / ms.etcd[i]!));
  // RSS alone understates: V8 keeps pages freed by earlier requests, so a request can reuse them
  // without raising VmHWM. The sampled heap peak (heapUsed + external) is the headline.
  const memRatio = stat(heap.cache);
  const s = (xs: number[], unit = '') => {
    const t = stat(xs);
    return `${fmt(t.median)}${unit} [${fmt(t.min)}..${fmt(t.max)}]`;
  };
  const mib = fmt(size.cache / 1024 ** 2);
  const common = { 'load average (1 min)': fmt(loadavg()[0]!), rounds: `${rounds} (+1 verified warm-up each), HTTPS, server in a child process` };
  return [
    {
      id: '4a',
      name: `LIST ${fmt(loaded.objects)} pods over HTTP: latency`,
      ratioOf: 'time to the last byte, resourceVersion=0 (watch cache) ÷ resourceVersion="" on profile 1.27 (etcd)',
      ratio: latency,
      target: '≤ 0.1',
      verdict: verdict(latency, (x) => x <= 0.1),
      details: {
        'from the watch cache': s(ms.cache, ' ms'),
        'from etcd': s(ms.etcd, ' ms'),
        'routing (recorded decision)': `RV=0 → ${routed.cache}; RV="" → ${routed.etcd}`,
        'response size': `${mib} MiB (cache) / ${fmt(size.etcd / 1024 ** 2)} MiB (etcd)`,
        ...common,
      },
    },
    {
      id: '4b',
      name: `LIST ${fmt(loaded.objects)} pods over HTTP: server memory`,
      ratioOf: 'server JS heap peak growth (heapUsed + external, sampled every 1 ms, from a GC\'d baseline) during the cached LIST ÷ response bytes',
      ratio: memRatio,
      target: '≤ 2',
      verdict: verdict(memRatio, (x) => x <= 2),
      details: {
        'cached LIST: peak RSS growth ÷ response': s(rss.cache),
        'cached LIST: sampled JS heap peak growth ÷ response': s(heap.cache),
        'etcd LIST: peak RSS growth ÷ response': s(rss.etcd),
        'etcd LIST: sampled JS heap peak growth ÷ response': s(heap.etcd),
        'response size': `${mib} MiB`,
        ...common,
      },
      note: peakResettable ? 'peak RSS (VmHWM after a clear_refs reset) is shown beside it' : 'this kernel refused /proc/<pid>/clear_refs: the RSS figures are not isolated to the request',
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) await runAlone(() => runList());
