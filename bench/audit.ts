// `npm run bench -- audit [--smoke] [--cpu-prof DIR]`: watchscope's audit log reader against jq on
// the same generated log, in the same run. The log (bench/audit-log.ts) is written to a temp dir
// and removed after. Each run reads it twice, alternating which goes first:
//   - watchscope: `watchscope audit FILE`'s path (auditReport: version probe, reader, ingest,
//     router under the cluster's profile and every other, report) in a process of its own
//     (bench/audit-child.ts), timed around the read; peak RSS is that process's.
//   - jq: `jq -c 'select(.stage=="ResponseComplete")' FILE | wc -l`, which parses every line and
//     counts one line per request — less work than routing, the same reading; its CPU is jq's and
//     wc's (times), its peak RSS jq's (/proc VmHWM, sampled).
// Correctness: the counts must match what the generator wrote (routed requests, skipped kinds, no
// bad input; jq's count = requests), and on a sample of the log the routed requests and their
// cache/etcd split under every profile must equal a reference that reads each line with JSON.parse
// and decides every request afresh.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAuditLog, type GeneratedLog } from './audit-log.js';
import type { ChildResult, Tally } from './audit-child.js';
import { benchDir, fmt, printRows, stat, writeResults, type BenchRow, type Stat } from './lib.js';

export interface AuditBenchOptions {
  bytes: number;
  runs: number;
  /** Leading bytes of the log (whole lines) checked against the JSON.parse reference. */
  sampleBytes: number;
  seed?: number;
  cpuProfDir?: string;
  log?: (line: string) => void;
}

export const FULL: AuditBenchOptions = { bytes: 1 << 30, runs: 2, sampleBytes: 64 << 20 };
// The smoke checks its whole log against the reference.
export const SMOKE: AuditBenchOptions = { bytes: 4 << 20, runs: 1, sampleBytes: 8 << 20 };

export const JQ_FILTER = 'select(.stage=="ResponseComplete")';

export interface Measured {
  ms: number;
  cpuMs: number;
  maxRssMB: number;
}

export interface AuditBenchResult {
  generated: GeneratedLog;
  watchscope: Measured[];
  jq: (Measured & { count: number })[];
  tally: Tally;
  sample: { bytes: number; fast: Tally; reference: Tally };
  /** Every check that failed, in words (empty: all held). */
  mismatches: string[];
}

function runChild(mode: 'run' | 'check', file: string, cpuProfDir?: string): Promise<ChildResult> {
  const args = [...(cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : []), '--import', 'tsx', join(benchDir, 'audit-child.ts'), mode, file];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.on('error', reject);
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`audit-child ${mode} exited ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildResult);
      } catch (e) {
        reject(new Error(`audit-child ${mode} printed no result: ${(e as Error).message}`));
      }
    });
  });
}

/** Peak RSS (VmHWM, MB) of `pid`'s children named `name`, sampled until stopped. */
function watchPeak(pid: number, name: string): { stop: () => number } {
  let peak = 0;
  const sample = () => {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
        if (readFileSync(`/proc/${child}/comm`, 'utf8').trim() !== name) continue;
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      }
    } catch {
      // the process ended between two reads
    }
  };
  const t = setInterval(sample, 20);
  sample();
  return {
    stop: () => {
      clearInterval(t);
      return peak;
    },
  };
}

export function runJq(file: string): Promise<Measured & { count: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // `times` prints the shell's CPU, then its children's (jq and wc).
    const p = spawn('bash', ['-c', `jq -c '${JQ_FILTER}' "$1" | wc -l; times >&2`, 'jq-bench', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const peak = watchPeak(p.pid!, 'jq');
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => {
      const ms = performance.now() - t0;
      const maxRssMB = peak.stop();
      const times = err.trim().split('\n').pop() ?? '';
      const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(times);
      const count = Number(out.trim());
      if (code !== 0 || !m || !Number.isInteger(count)) return reject(new Error(`jq failed (exit ${code}): ${err.trim().slice(0, 300)}`));
      const cpuMs = (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
      resolve({ ms, cpuMs, maxRssMB, count });
    });
  });
}

/** The first `bytes` of `file`, cut at a line end, written to `to`. */
function writeSample(file: string, to: string, bytes: number): number {
  const buf = Buffer.alloc(bytes);
  const fd = openSync(file, 'r');
  let n: number;
  try {
    n = readSync(fd, buf, 0, bytes, 0);
  } finally {
    closeSync(fd);
  }
  const end = buf.lastIndexOf(10, n - 1) + 1;
  writeFileSync(to, buf.subarray(0, end));
  return end;
}

function compare(what: string, got: unknown, want: unknown, mismatches: string[]): void {
  if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${what}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`);
}

export async function runAudit(o: AuditBenchOptions): Promise<AuditBenchResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const dir = mkdtempSync(join(tmpdir(), 'watchscope-audit-bench-'));
  try {
    const file = join(dir, 'audit.log');
    const tg = performance.now();
    const generated = generateAuditLog(file, { bytes: o.bytes, seed: o.seed ?? 1 });
    log(`[audit] generated ${fmt(generated.bytes / 1e6)} MB: ${fmt(generated.lines)} lines, ${fmt(generated.requests)} requests in ${((performance.now() - tg) / 1000).toFixed(1)} s`);

    const watchscope: Measured[] = [];
    const jq: (Measured & { count: number })[] = [];
    let tally: Tally | undefined;
    for (let i = 0; i < o.runs; i++) {
      const order = i % 2 === 0 ? (['watchscope', 'jq'] as const) : (['jq', 'watchscope'] as const);
      for (const who of order) {
        if (who === 'jq') {
          const r = await runJq(file);
          jq.push(r);
          log(`[audit] run ${i + 1} jq: ${(r.ms / 1000).toFixed(1)} s, CPU ${(r.cpuMs / 1000).toFixed(1)} s, peak RSS ${fmt(r.maxRssMB)} MB, ${fmt(r.count)} lines`);
        } else {
          const r = await runChild('run', file, i === 0 ? o.cpuProfDir : undefined);
          watchscope.push({ ms: r.ms, cpuMs: r.cpuMs, maxRssMB: r.maxRssMB });
          tally = r.tally;
          log(`[audit] run ${i + 1} watchscope: ${(r.ms / 1000).toFixed(1)} s, CPU ${(r.cpuMs / 1000).toFixed(1)} s, peak RSS ${fmt(r.maxRssMB)} MB, ${fmt(r.tally.routed)} routed`);
        }
      }
    }

    const mismatches: string[] = [];
    compare('lines read', tally!.linesRead, generated.lines, mismatches);
    compare('requests routed', tally!.routed, generated.routable, mismatches);
    compare('skipped', tally!.skipped, { nonResource: generated.nonResource, subresource: generated.subresource, otherVerb: 0 }, mismatches);
    compare('bad input', tally!.bad, {}, mismatches);
    for (const r of jq) compare('jq ResponseComplete lines', r.count, generated.responseComplete, mismatches);

    const sampleFile = join(dir, 'sample.log');
    const sampleBytes = writeSample(file, sampleFile, Math.min(o.sampleBytes, generated.bytes));
    const check = await runChild('check', sampleFile);
    const reference = check.reference!;
    compare('sample: profile', check.tally.profile, reference.profile, mismatches);
    compare('sample: routed', check.tally.routed, reference.routed, mismatches);
    compare('sample: reads', check.tally.reads, reference.reads, mismatches);
    compare('sample: skipped', check.tally.skipped, reference.skipped, mismatches);
    compare('sample: cache/etcd split per profile', check.tally.byProfile, reference.byProfile, mismatches);
    log(`[audit] sample of ${fmt(sampleBytes / 1e6)} MB against the JSON.parse reference: ${mismatches.length ? mismatches.join('; ') : `equal (${fmt(reference.routed)} routed)`}`);
    return { generated, watchscope, jq, tally: tally!, sample: { bytes: sampleBytes, fast: check.tally, reference }, mismatches };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function auditRows(r: AuditBenchResult): BenchRow[] {
  const ws = (f: (m: Measured) => number) => stat(r.watchscope.map(f));
  const jqs = (f: (m: Measured) => number) => stat(r.jq.map(f));
  const s = (x: Stat, unit = '') => `${fmt(x.median)}${unit} [${fmt(x.min)}..${fmt(x.max)}]`;
  const ratio = stat(r.jq.map((j, i) => j.ms / r.watchscope[i]!.ms));
  const cpuRatio = stat(r.jq.map((j, i) => j.cpuMs / r.watchscope[i]!.cpuMs));
  const rss = ws((m) => m.maxRssMB);
  const mb = r.generated.bytes / 1e6;
  const split = r.tally.byProfile[r.tally.profile];
  const pass = r.mismatches.length === 0 && ratio.median > 1 && rss.max < 300;
  return [
    {
      id: 'audit',
      name: `audit log reader, ${fmt(mb)} MB generated log (watchscope audit FILE vs jq)`,
      ratioOf: "jq wall time ÷ watchscope wall time, same file, same run (> 1: watchscope is faster)",
      ratio,
      target: '> 1, peak RSS < 300 MB, counts equal the reference',
      verdict: r.mismatches.length ? 'fail' : pass ? 'pass' : 'fail',
      details: {
        'watchscope events/s': s(ws((m) => r.tally.events / (m.ms / 1000))),
        'watchscope MB/s': s(ws((m) => mb / (m.ms / 1000))),
        'watchscope wall s': s(ws((m) => m.ms / 1000)),
        'watchscope CPU s': s(ws((m) => m.cpuMs / 1000)),
        'watchscope peak RSS MB': s(rss),
        'jq wall s': s(jqs((m) => m.ms / 1000)),
        'jq CPU s (jq + wc)': s(jqs((m) => m.cpuMs / 1000)),
        'jq peak RSS MB': s(jqs((m) => m.maxRssMB)),
        'CPU ratio jq ÷ watchscope': s(cpuRatio),
        jq: `jq -c '${JQ_FILTER}' FILE | wc -l`,
        'lines / requests / routed': `${fmt(r.generated.lines)} / ${fmt(r.generated.requests)} / ${fmt(r.tally.routed)}`,
        [`reads under ${r.tally.profile}: cache / etcd / rejected`]: split ? `${fmt(split.cache)} / ${fmt(split.etcd)} / ${fmt(split.rejected)}` : '–',
        'sample check (JSON.parse reference)': r.mismatches.length ? r.mismatches.join('; ') : `equal on ${fmt(r.sample.bytes / 1e6)} MB: ${fmt(r.sample.reference.routed)} routed, every profile's split`,
      },
    },
  ];
}

export async function runAuditAndReport(o: AuditBenchOptions): Promise<AuditBenchResult> {
  const r = await runAudit(o);
  const rows = auditRows(r);
  printRows(rows);
  writeResults(rows);
  if (rows.some((x) => x.verdict !== 'pass')) process.exitCode = 1;
  return r;
}
