// Child-process side of bench/side-by-side.ts: watchscope as `serve --etcd` runs it (every
// built-in resource, profile 1.34 — the one covering kube-apiserver 1.34–1.36) over an etcd the
// bench started, in a process of its own so /proc shows its CPU and memory alone.
import { openEtcdStack } from '../main/stack.js';
import { resolveProfile } from '../main/storage/routing/profiles.js';

export type SideServerMessage = { type: 'ready'; url: string; token: string; caPem?: string };

const endpoint = process.argv[2]!;
const profile = resolveProfile(process.argv[3] ?? '1.34');
const stack = await openEtcdStack({ etcd: { endpoints: [endpoint] }, profile: () => profile });
await stack.backend.waitReady();
process.on('message', (m: { type: 'close' }) => {
  if (m.type === 'close') void stack.close().then(() => process.exit(0));
});
process.on('disconnect', () => void stack.close().then(() => process.exit(0)));
process.send?.({ type: 'ready', url: stack.server.url, token: stack.server.token, caPem: stack.server.caPem } satisfies SideServerMessage);
