// Re-running a recording under another profile: a real demo session (etcd 3.4.23) records the
// paginated-LIST and consistent-LIST presets under 1.34; re-run under 1.27, the pages 1.34 served
// from the cache move to etcd (hasLimit / continue), as the routing tests predict, and consistent
// LISTs stay on etcd (3.4.23's progress notifications are not trusted by either).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from '../session.js';
import { formatRerun, rerunRecording, type RerunResult } from './rerun.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(join(tmpdir(), 'wsrec-rerun-'));
let session: Session;
let file = '';

beforeAll(async () => {
  session = new Session({ snapshotIntervalMs: 250, recordingsDir: dir, demo: { workload: { writesPerSecond: 10, kubelets: 1, informers: 1, slowReader: false } } });
  const s = await session.connect({ mode: 'demo', resources: ['pods', 'configmaps'] });
  expect(s.state, s.message).toBe('connected');
  await session.setProfile({ name: '1.34' });
  const started = await session.setRecording({ action: 'start' });
  file = started.recording!.file;
  const pag = await session.runScenario('paginated-list', { scale: 0.3 });
  expect(pag.ok, pag.summary).toBe(true);
  const cons = await session.runScenario('consistent-list', { scale: 0.3 });
  expect(cons.ok, cons.summary).toBe(true);
  await session.setRecording({ action: 'stop' });
}, 240_000);

afterAll(async () => {
  await session?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('replay FILE --profile 1.27 --compare', () => {
  let r: RerunResult;

  it('reproduces the recorded decisions under their own profile', async () => {
    r = await rerunRecording(file, '1.27');
    expect(r.recordedProfile).toBe('1.34');
    expect(r.profile).toBe('1.27');
    // Reads and watches re-decided: at least the paginated preset's pages and the consistent LISTs.
    expect(r.requests).toBeGreaterThanOrEqual(r.rows.filter((x) => x.userAgent.includes('scenario/')).length);
    expect(r.rows.some((x) => x.userAgent.includes('scenario/paginate'))).toBe(true);
    expect(r.writes).toBeGreaterThan(0);
    // Every request of the two presets is decided as recorded when re-run under its own profile.
    const scenarioRows = r.rows.filter((x) => x.userAgent.includes('scenario/'));
    for (const x of scenarioRows) expect(x.baseline, `#${x.id} ${x.verb} ${JSON.stringify(x.query)}`).toMatchObject({ servedBy: x.recorded.servedBy, reason: x.recorded.reason });
  }, 120_000);

  it('1.34 pages served from the cache move to etcd under 1.27 (hasLimit, continue)', () => {
    const moved = r.rows.filter((x) => x.userAgent.includes('scenario/paginate') && x.recorded.servedBy === 'cache' && x.rerun.servedBy === 'etcd');
    expect(moved.length).toBeGreaterThan(0);
    expect(r.movedToEtcd).toBeGreaterThanOrEqual(moved.length);
    // The first page carries a limit and an RV: 1.27 delegates it because of the limit.
    expect(moved.some((x) => x.rerun.reason === 'hasLimit' && x.query.limit && !x.query.continue)).toBe(true);
    // Continue pages: 1.27 reads every page from etcd.
    expect(moved.some((x) => !!x.query.continue)).toBe(true);
    // LIST resourceVersion=0 is served from the cache under both.
    expect(r.rows.some((x) => x.query.resourceVersion === '0' && x.recorded.servedBy === 'cache' && x.rerun.servedBy === 'etcd')).toBe(false);
  });

  it('consistent LISTs stay on etcd: neither profile trusts 3.4.23 for progress, so nothing would wait', () => {
    const consistent = r.rows.filter((x) => x.userAgent.includes('scenario/consistent') && x.verb === 'list' && !x.query.resourceVersion);
    for (const x of consistent) {
      expect(x.recorded.servedBy).toBe('etcd');
      expect(x.rerun.servedBy).toBe('etcd');
    }
    expect(r.rows.filter((x) => x.userAgent.includes('scenario/consistent') && x.rerun.waits).length).toBe(0);
    // The text says what a re-run cannot reproduce.
    const text = formatRerun(r);
    expect(text).toContain('Client timing is not in a recording');
    expect(text).toContain('Values were not recorded');
    expect(text).toMatch(/moved cache → etcd: [1-9]/);
  });

  it('the CLI prints the same comparison, and JSON with --json', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
        const c = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'main/cli.ts'), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        c.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
        c.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
        c.once('exit', (code) => res({ code, stdout, stderr }));
      });
    const text = await run(['replay', file, '--profile', '1.27', '--compare']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`re-run of ${file} under 1.27 (recorded under 1.34)`);
    expect(text.stdout).toContain(`moved cache → etcd: ${r.movedToEtcd};`);
    const json = await run(['replay', file, '--profile', '1.27', '--compare', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout) as RerunResult;
    expect(parsed).toMatchObject({ profile: '1.27', recordedProfile: '1.34', requests: r.requests, movedToEtcd: r.movedToEtcd, changed: r.changed });
  }, 60_000);
});
