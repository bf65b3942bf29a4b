// Child-process side of bench/side-by-side.ts: watchscope as `serve --etcd` runs it (every
// built-in resource, profile 1.34 — the one covering kube-apiserver 1.34–1.36) over an etcd the
// bench started, in a process of its own so /proc shows its CPU and memory alone.
import { openEtcdStack } from '../main/etcd-mode.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { resolveProfile } from '../main/storage/routing/profiles.js';

export type SideServerMessage =
  | { type: 'ready'; url: string; token: string; caPem?: string }
  /** Event-loop delay since the last 'loop-reset', in ms. */
  | { type: 'loop'; p50: number; p99: number; max: number };
export type SideServerRequest = { type: 'close' } | { type: 'loop-reset' } | { type: 'loop' };

const endpoint = process.argv[2]!;
const profile = resolveProfile(process.argv[3] ?? '1.34');
const stack = await openEtcdStack({ etcd: { endpoints: [endpoint] }, profile: () => profile });
await stack.backend.waitReady();
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
process.on('message', (m: SideServerRequest) => {
  if (m.type === 'close') void stack.close().then(() => process.exit(0));
  else if (m.type === 'loop-reset') loop.reset();
  else if (m.type === 'loop') process.send?.({ type: 'loop', p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 } satisfies SideServerMessage);
});
process.on('disconnect', () => void stack.close().then(() => process.exit(0)));
process.send?.({ type: 'ready', url: stack.server.url, token: stack.server.token, caPem: stack.server.caPem } satisfies SideServerMessage);
