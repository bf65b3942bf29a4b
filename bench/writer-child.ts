// Child-process side of bench/writer.ts: puts small pod-like values into etcd as fast as
// `concurrency` puts in flight allow, over a fixed key space across a few namespaces.
import { EtcdSource } from '../main/storage/etcd/source.js';
import { encodeJSON } from '../main/storage/etcd/codec.js';
import { podKey, smallPod } from './lib.js';
import type { WriterJob, WriterMessage, WriterResult } from './writer.js';

let stopRequested = false;
const send = (m: WriterMessage) => process.send?.(m);

async function run(job: WriterJob): Promise<WriterResult> {
  const src = await EtcdSource.connect({ endpoints: [job.endpoint] });
  stopRequested = false;
  let issued = 0;
  let puts = 0;
  let errors = 0;
  let firstRevision = Infinity;
  let lastRevision = 0;
  const start = performance.now();
  const worker = async () => {
    while (!stopRequested && (job.count === undefined || issued < job.count)) {
      const seq = issued++;
      const ns = `ns-${seq % job.namespaces}`;
      const name = `pod-${seq % job.keys}`;
      try {
        const rev = await src.client.put(podKey(ns, name), encodeJSON(smallPod(ns, name, seq)));
        puts++;
        if (rev < firstRevision) firstRevision = rev;
        if (rev > lastRevision) lastRevision = rev;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  const ms = performance.now() - start;
  await src.close();
  return { puts, errors, ms, firstRevision: Number.isFinite(firstRevision) ? firstRevision : 0, lastRevision };
}

process.on('message', (m: { type: 'run'; job: WriterJob } | { type: 'stop' }) => {
  if (m.type === 'stop') {
    stopRequested = true;
    return;
  }
  run(m.job).then(
    (result) => send({ type: 'done', result }),
    (e: unknown) => send({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
  );
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
