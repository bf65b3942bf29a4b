// Child-process side of bench/writer.ts: puts small pod-like values (or stamped ConfigMaps) into
// etcd as fast as `concurrency` puts in flight allow, or paced at a fixed rate, over a fixed key
// space across a few namespaces.
import { EtcdSource } from '../main/storage/etcd/source.js';
import { encodeJSON } from '../main/storage/etcd/codec.js';
import { configMapKey, podKey, sleep, smallPod, stampedConfigMap, wallNow } from './lib.js';
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
  const put = async (seq: number) => {
    const ns = job.namespace ?? `ns-${seq % job.namespaces}`;
    const name = `${job.kind === 'configmap' ? 'cm' : 'pod'}-${seq % job.keys}`;
    try {
      const rev =
        job.kind === 'configmap'
          ? await src.client.put(configMapKey(ns, name), encodeJSON(stampedConfigMap(ns, name, seq, wallNow())))
          : await src.client.put(podKey(ns, name), encodeJSON(smallPod(ns, name, seq)));
      puts++;
      if (rev < firstRevision) firstRevision = rev;
      if (rev > lastRevision) lastRevision = rev;
    } catch {
      errors++;
    }
  };
  const more = () => !stopRequested && (job.count === undefined || issued < job.count);
  const worker = async () => {
    while (more()) await put(issued++);
  };
  // Paced: each put leaves at its scheduled time (stamped then), however long earlier ones take.
  const paced = async (rate: number) => {
    const inFlight = new Set<Promise<void>>();
    while (more()) {
      const due = start + (issued * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      if (inFlight.size >= job.concurrency) await Promise.race(inFlight);
      const p = put(issued++).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  };
  if (job.ratePerSec) await paced(job.ratePerSec);
  else await Promise.all(Array.from({ length: job.concurrency }, worker));
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
