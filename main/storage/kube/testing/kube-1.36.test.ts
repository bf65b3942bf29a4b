// The oracle's own start: an apiserver that never becomes ready must not outlive a failed start.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { findKubeApiserver136, KUBE_136_MISSING_MESSAGE, startKube136 } from './kube-1.36.js';

const bin = findKubeApiserver136();
if (!bin) console.warn(`SKIPPED kube-1.36 start tests: ${KUBE_136_MISSING_MESSAGE}`);

async function unusedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Pids of processes whose command line contains `needle`. */
function processesWith(needle: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'latin1').includes(needle)) pids.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

describe.skipIf(!bin)('startKube136', () => {
  it('kills the apiserver it started when /readyz never answers in time', async () => {
    // Nothing listens on this etcd port, so the apiserver runs but never becomes ready.
    const etcdUrl = `http://127.0.0.1:${await unusedPort()}`;
    const flag = `--etcd-servers=${etcdUrl}`;
    const seen: number[] = [];
    const watch = setInterval(() => seen.push(...processesWith(flag).filter((p) => p !== process.pid)), 200);
    try {
      await expect(startKube136(etcdUrl, [], { startTimeoutMs: 15_000 })).rejects.toThrow(/did not finish in 15 s/);
    } finally {
      clearInterval(watch);
    }
    // It did start (so the test exercises the kill), and nothing of it is left.
    expect(seen.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(processesWith(flag).filter((p) => p !== process.pid)).toEqual([]);
  }, 30_000);
});
