// `npm run bench`: every measurement in one run, each a ratio against a baseline measured in the
// same run on the same etcd. Prints the table and writes test-results/bench.json.
// `npm run bench -- side-by-side [--smoke] [--cpu-prof DIR] [--only fanout,list,initial,ingest]
// [--loads 0,1,2] [--runs N] [--seconds N] [--objects N] [--clients N]`: instead, the same workload through
// watchscope and the real kube-apiserver v1.36 (bench/side-by-side.ts).
// `npm run bench -- audit [--smoke] [--cpu-prof DIR]`: instead, the audit log reader on a generated
// 1 GB log against jq on the same file (bench/audit.ts).
// `npm run bench -- frames [--minutes N] [--cpu-prof DIR]`: instead, only the renderer rows
// (bench/frames.ts), with a heap run of N minutes under load when asked.
import { loadavg } from 'node:os';
import { printRows, resultsPath, writeResults, type BenchRow } from './lib.js';
import { runIngest } from './ingest.js';
import { runCpu } from './cpu.js';
import { etcdWithPods, runMemory } from './memory.js';
import { runList } from './list.js';
import { runFrames } from './frames.js';
import { runRecording } from './recording.js';

const args = process.argv.slice(2);
function cpuProfDirArg(): string | undefined {
  const prof = args.indexOf('--cpu-prof');
  const dir = prof >= 0 ? args[prof + 1] : undefined;
  if (prof >= 0 && !dir) throw new Error('--cpu-prof needs a directory');
  return dir;
}
if (args.includes('audit')) {
  const { FULL, SMOKE, runAuditAndReport } = await import('./audit.js');
  const cpuProfDir = cpuProfDirArg();
  const started = Date.now();
  await runAuditAndReport({ ...(args.includes('--smoke') ? SMOKE : FULL), ...(cpuProfDir ? { cpuProfDir } : {}) });
  console.log(`\nwhole run: ${((Date.now() - started) / 1000).toFixed(0)} s; results written to ${resultsPath}`);
  process.exit(process.exitCode ?? 0);
}
if (args.includes('frames')) {
  const minutes = args.indexOf('--minutes');
  const heapMinutes = minutes >= 0 ? Number(args[minutes + 1]) : 0;
  if (!(heapMinutes >= 0)) throw new Error('--minutes needs a number of minutes');
  const cpuProfDir = cpuProfDirArg();
  const started = Date.now();
  console.log(`[bench] renderer frame time (load average ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  const rows = await runFrames({ heapMinutes, ...(cpuProfDir ? { cpuProfDir } : {}) });
  printRows(rows);
  writeResults(rows);
  console.log(`\nwhole run: ${((Date.now() - started) / 1000).toFixed(0)} s, load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}; results written to ${resultsPath}`);
  if (rows.some((r) => r.verdict === 'fail')) process.exitCode = 1;
  process.exit(process.exitCode ?? 0);
}
if (args.includes('side-by-side')) {
  const { FULL, SMOKE, runSideBySideAndReport, sideBySideArgs } = await import('./side-by-side.js');
  const cpuProfDir = cpuProfDirArg();
  const started = Date.now();
  await runSideBySideAndReport({ ...sideBySideArgs(args, args.includes('--smoke') ? SMOKE : FULL), ...(cpuProfDir ? { cpuProfDir } : {}) });
  console.log(`\nwhole run: ${((Date.now() - started) / 1000).toFixed(0)} s; results written to ${resultsPath}`);
  process.exit(process.exitCode ?? 0);
}

const rows: BenchRow[] = [];
const started = Date.now();

async function step(id: string, name: string, f: () => Promise<BenchRow[]>): Promise<void> {
  const t = Date.now();
  console.log(`[bench] ${id}. ${name}… (load average ${loadavg()[0]!.toFixed(1)})`);
  try {
    rows.push(...(await f()));
  } catch (e) {
    console.error(`[bench] ${id} failed:`, e);
    rows.push({ id, name, ratioOf: '', target: '', verdict: 'not measured', details: {}, note: `failed: ${e instanceof Error ? e.message : String(e)}` });
    process.exitCode = 1;
  }
  console.log(`[bench] ${id} took ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

await step('1', 'cacher ingest', () => runIngest());
await step('2', 'CPU of serving 200 watchers', () => runCpu());
// The memory and LIST benches share one etcd loaded with 50k pods.
let loaded: Awaited<ReturnType<typeof etcdWithPods>> | undefined;
try {
  await step('3', 'cache memory', async () => {
    loaded = await etcdWithPods();
    return runMemory({ loaded });
  });
  await step('4', 'LIST over HTTP', async () => {
    loaded ??= await etcdWithPods();
    return runList({ loaded });
  });
} finally {
  await loaded?.etcd.stop();
}
await step('5', 'renderer frame time', () => runFrames());
await step('6', 'replay of a one-hour recording', () => runRecording());

printRows(rows);
writeResults(rows);
console.log(`\nwhole run: ${((Date.now() - started) / 1000).toFixed(0)} s; results written to ${resultsPath}`);
