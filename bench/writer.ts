// The write load of the ingest, CPU and side-by-side benches, run in a child process so its CPU is not counted
// as the cacher's and it competes with the cacher only as a real client of etcd would.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { benchDir } from './lib.js';

export interface WriterJob {
  endpoint: string;
  /** Puts in flight at once. */
  concurrency: number;
  /** Stop after this many puts (exact), or run until stop() when absent. */
  count?: number;
  /** Distinct keys the writer cycles over (updates after the first round). */
  keys: number;
  namespaces: number;
  /** What to write: small pods (default), or stamped ~1 KB ConfigMaps. */
  kind?: 'pod' | 'configmap';
  /** All writes go to this namespace (instead of ns-0…ns-<namespaces-1>). */
  namespace?: string;
  /** Paced at this many puts per second (with `concurrency` as the cap in flight) instead of flat out. */
  ratePerSec?: number;
}

export interface WriterResult {
  puts: number;
  errors: number;
  ms: number;
  firstRevision: number;
  lastRevision: number;
}

export type WriterMessage = { type: 'ready' } | { type: 'done'; result: WriterResult } | { type: 'error'; message: string };

export interface WriterProcess {
  child: ChildProcess;
  /** Runs one job; resolves when it ends (count reached, or stop()). */
  run(job: WriterJob): Promise<WriterResult>;
  /** Ends an open-ended job. */
  stop(): void;
  close(): Promise<void>;
}

export async function spawnWriter(): Promise<WriterProcess> {
  const child = fork(join(benchDir, 'writer-child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', (m: WriterMessage) => (m.type === 'ready' ? resolve() : reject(new Error(`writer: ${JSON.stringify(m)}`))));
    child.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
  });
  return {
    child,
    run(job) {
      return new Promise((resolve, reject) => {
        const onMsg = (m: WriterMessage) => {
          if (m.type === 'done') {
            child.off('message', onMsg);
            resolve(m.result);
          } else if (m.type === 'error') {
            child.off('message', onMsg);
            reject(new Error(`writer: ${m.message}`));
          }
        };
        child.on('message', onMsg);
        child.send({ type: 'run', job });
      });
    },
    stop() {
      child.send({ type: 'stop' });
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
