// Child-process side of bench/list.ts (run with --expose-gc): the endpoint over an existing etcd,
// with its memory measured apart from the client's. Peak RSS comes from the kernel's VmHWM after
// a clear_refs reset; the JS heap peak is sampled every millisecond as a second view.
import { startTestApiServer } from '../main/storage/apiserver/testing.js';
import type { EtcdProcess } from '../main/storage/etcd/process.js';
import { procMemory, resetPeakRss } from './lib.js';

export type ListChildRequest = { type: 'reset' } | { type: 'report' } | { type: 'close' };
export type ListChildMessage =
  | { type: 'ready'; url: string; token: string; caPem?: string }
  | { type: 'reset'; peakResettable: boolean }
  | { type: 'report'; rssPeakGrowth: number; heapPeakGrowth: number; servedBy?: string; reason?: string };

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const endpoint = process.argv[2]!;
const profile = process.argv[3] ?? '1.27';
// Only the endpoint is used when the harness is handed a running etcd; it never stops it.
const etcd = { endpoint, clientPort: Number(new URL(endpoint).port), dataDir: '', pid: -1, log: () => [], kill9: async () => undefined, restart: async () => undefined, stop: async () => undefined, killNow: () => undefined } as EtcdProcess;
const api = await startTestApiServer({ etcd, profile, resources: undefined });
const send = (m: ListChildMessage) => process.send?.(m);

let baseRss = 0;
let baseHeap = 0;
let peakHeap = 0;
let sampler: NodeJS.Timeout | undefined;
let lastDecisionId = 0;

const heapNow = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

process.on('message', (m: ListChildRequest) => {
  if (m.type === 'reset') {
    for (let i = 0; i < 3; i++) gc!();
    const ok = resetPeakRss();
    baseRss = procMemory().rss;
    baseHeap = peakHeap = heapNow();
    lastDecisionId = api.decisions.since(0).at(-1)?.id ?? 0;
    sampler = setInterval(() => {
      const h = heapNow();
      if (h > peakHeap) peakHeap = h;
    }, 1);
    send({ type: 'reset', peakResettable: ok });
  } else if (m.type === 'report') {
    if (sampler) clearInterval(sampler);
    const mem = procMemory();
    const d = api.decisionsSince(lastDecisionId).at(-1);
    send({ type: 'report', rssPeakGrowth: mem.hwm - baseRss, heapPeakGrowth: peakHeap - baseHeap, servedBy: d?.servedBy, reason: d?.reason });
  } else if (m.type === 'close') {
    void api.close().then(() => process.exit(0));
  }
});
send({ type: 'ready', url: api.server.url, token: api.server.token, caPem: api.server.caPem });
