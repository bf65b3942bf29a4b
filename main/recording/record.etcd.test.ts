// Recording a real session: the demo's etcd child, its cachers, the HTTPS endpoint and the
// workload's clients, recorded through the session (as the Record button does) and through the
// CLI (`demo --record FILE`), which is then killed with SIGKILL mid-recording.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Session } from '../session.js';
import { Transport } from '../workload/transport.js';
import { RecordingReader } from './reader.js';
import { ReplayService } from './replay.js';
import { mulberry32 } from '../util/prng.js';
import type { RecordLine } from './format.js';
import type { Snapshot } from '../../shared/model.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(join(tmpdir(), 'wsrec-etcd-'));
let session: Session;
let firstRecording = '';

const until = async (cond: () => boolean, ms: number, what: string) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

function readAll(file: string): { reader: RecordingReader; records: RecordLine[] } {
  const reader = RecordingReader.open(file);
  const records: RecordLine[] = [];
  for (let i = 0; i < reader.segments.length; i++) records.push(...reader.readSegment(i).records);
  return { reader, records };
}

beforeAll(async () => {
  session = new Session({ snapshotIntervalMs: 250, recordingsDir: dir, demo: { workload: { writesPerSecond: 20, kubelets: 2, informers: 1, slowReader: false } } });
  const s = await session.connect({ mode: 'demo', resources: ['pods', 'secrets', 'configmaps'] });
  expect(s.state, s.message).toBe('connected');
}, 60_000);

afterAll(async () => {
  await session?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('recording a real demo session', () => {
  it('records events with revisions, decisions, watcher lifecycles and freshness; no values by default', async () => {
    await until(() => (session.snapshot()?.watchers.length ?? 0) >= 3, 30_000, 'the workload\'s watchers');
    const started = await session.setRecording({ action: 'start' });
    expect(started.recording?.state).toBe('recording');
    expect(started.recording?.file.startsWith(dir)).toBe(true);
    // A secret written through the endpoint while recording.
    const live = session.current!;
    const t = new Transport({ url: live.server.url, token: live.server.token, ...(live.server.caPem ? { caPem: live.server.caPem } : {}) });
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-password', namespace: 'default' }, stringData: { password: 'hunter2-very-secret' } };
    const created = await t.request({ method: 'POST', path: '/api/v1/namespaces/default/secrets', body: secret, userAgent: 'record-test' });
    expect(created.status).toBe(201);
    const listed = await t.request({ method: 'GET', path: '/api/v1/pods', query: { limit: 5, resourceVersion: '0' }, userAgent: 'record-test' });
    expect(listed.status).toBe(200);
    // A watch that the server ends after a second: opened, then closed with its reason.
    const opened = await t.watch({ path: '/api/v1/configmaps', query: { timeoutSeconds: 1, resourceVersion: '0', allowWatchBookmarks: 'false' }, userAgent: 'record-test-watch' });
    expect('stream' in opened).toBe(true);
    if ('stream' in opened) while ((await opened.stream.next()) !== null);
    await new Promise((r) => setTimeout(r, 3000));
    // The header's indicator comes with the session's snapshots.
    const withIndicator = await new Promise<Snapshot>((r) => {
      const off = session.onSnapshot((snap) => {
        off();
        r(snap);
      });
    });
    expect(withIndicator.recording).toMatchObject({ state: 'recording', file: started.recording!.file, values: false });
    expect(withIndicator.recording!.bytes).toBeGreaterThan(0);
    const stopped = await session.setRecording({ action: 'stop' });
    expect(stopped.recording?.state).toBe('stopped');
    await t.close();

    const file = stopped.recording!.file;
    firstRecording = file;
    const { reader, records } = readAll(file);
    expect(reader.ended).toBe(true);
    expect(reader.header).toMatchObject({ format: 'watchscope-recording', formatVersion: 1, watchscope: '0.1.0', profile: '1.34', values: false });
    expect(reader.header.source.mode).toBe('demo');
    expect(reader.header.source.version).toBe('3.4.23');
    expect(reader.header.resources.sort()).toEqual(['configmaps', 'pods', 'secrets']);
    const kinds = new Set(records.map((r) => r.k));
    for (const k of ['header', 'state', 'list', 'event', 'decision', 'tick', 'end']) expect(kinds, k).toContain(k);

    // What the cache held at the start, then pod events with increasing revisions after it.
    const podList = records.find((r) => r.k === 'list' && r.prefix === '/registry/pods/');
    expect(podList && podList.k === 'list' && podList.initial).toBe(true);
    const podEvents = records.filter((r): r is Extract<RecordLine, { k: 'event' }> => r.k === 'event' && r.prefix === '/registry/pods/');
    expect(podEvents.length).toBeGreaterThan(20);
    for (let i = 1; i < podEvents.length; i++) expect(podEvents[i]!.rv).toBeGreaterThan(podEvents[i - 1]!.rv);
    expect(podEvents[0]!.object.hash).toMatch(/^[0-9a-f]{16}$/);
    // The secret's event is there — its key and revision, not its value.
    const secretEvent = records.find((r) => r.k === 'event' && r.object.key === '/registry/secrets/default/db-password');
    expect(secretEvent).toBeDefined();
    const text = gunzipSync(readFileSync(file)).toString('utf8');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(Buffer.from('hunter2-very-secret').toString('base64'));
    expect(text).not.toContain('"value":');
    // Nor the endpoint's bearer token.
    expect(text).not.toContain(live.server.token);

    // The secret's POST and the workload's requests, with their routing decisions.
    const decisions = records.filter((r): r is Extract<RecordLine, { k: 'decision' }> => r.k === 'decision');
    expect(decisions.some((d) => d.d.verb === 'create' && d.d.resource === 'secrets')).toBe(true);
    const list = decisions.find((d) => d.d.verb === 'list' && d.d.userAgent.startsWith('record-test'));
    expect(list?.d).toMatchObject({ resource: 'pods', query: { limit: '5', resourceVersion: '0' }, profile: '1.34', servedBy: 'cache' });
    // The demo controller's pod writes.
    expect(decisions.filter((d) => d.d.resource === 'pods' && d.d.verb !== 'list' && d.d.verb !== 'watch').length).toBeGreaterThan(10);
    // Ticks: watchers with their buffers, caches with the freshness figures, about 4 a second.
    const ticks = records.filter((r): r is Extract<RecordLine, { k: 'tick' }> => r.k === 'tick');
    expect(ticks.length).toBeGreaterThanOrEqual(8);
    expect(ticks.at(-1)!.watchers.some((w) => w.userAgent.includes('kubelet'))).toBe(true);
    const pods = ticks.at(-1)!.caches.find((c) => c.resource === 'pods')!;
    expect(pods.sourceRevision).toBeGreaterThan(0);
    expect(pods.resourceVersion).toBeGreaterThan(0);
    // The short watch's lifecycle.
    const openedRec = records.find((r) => r.k === 'opened' && r.watcher.userAgent.startsWith('record-test-watch'));
    const closedRec = records.find((r) => r.k === 'closed' && r.watcher.userAgent.startsWith('record-test-watch'));
    expect(openedRec && openedRec.k === 'opened' && openedRec.watcher.resource).toBe('configmaps');
    expect(closedRec && closedRec.k === 'closed' && closedRec.watcher.closeReason).toBe('timeout');
    reader.close();
  }, 90_000);

  it('--record-values records values, with Secret data redacted', async () => {
    const started = await session.setRecording({ action: 'start', values: true });
    const live = session.current!;
    const t = new Transport({ url: live.server.url, token: live.server.token, ...(live.server.caPem ? { caPem: live.server.caPem } : {}) });
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'api-key', namespace: 'default' }, data: { key: Buffer.from('sekrit-api-key-42').toString('base64') } };
    expect((await t.request({ method: 'POST', path: '/api/v1/namespaces/default/secrets', body: secret, userAgent: 'record-test' })).status).toBe(201);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain', namespace: 'default' }, data: { colour: 'ultramarine' } };
    expect((await t.request({ method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: cm, userAgent: 'record-test' })).status).toBe(201);
    await new Promise((r) => setTimeout(r, 2000));
    const stopped = await session.setRecording({ action: 'stop' });
    await t.close();
    expect(stopped.recording!.file).toBe(started.recording!.file);
    const text = gunzipSync(readFileSync(stopped.recording!.file)).toString('utf8');
    expect(text).toContain('ultramarine');
    expect(text).not.toContain(Buffer.from('sekrit-api-key-42').toString('base64'));
    expect(text).toContain('"key":"<redacted>"');
  }, 60_000);
});

describe('replaying that recording', () => {
  it('every snapshot is the recorded state at the scrubbed moment; seeking back and forth agrees', async () => {
    const { reader, records } = readAll(firstRecording);
    const ticks = records.filter((r): r is Extract<RecordLine, { k: 'tick' }> => r.k === 'tick');
    const replay = new ReplayService(firstRecording, { intervalMs: 50 });
    try {
      const st = replay.status();
      expect(st).toMatchObject({ of: 'demo · etcd 3.4.23', recordedWith: 'watchscope 0.1.0', cut: false, droppedSegments: 0, valuesRecorded: false, playing: false });
      expect(st.start).toBe(reader.startTime);
      expect(st.end).toBe(reader.endTime);
      const podsRv = (s: Snapshot) => s.caches.find((c) => c.resource === 'pods')!.resourceVersion;
      // At each of a few ticks' times, the replayed caches are that tick's.
      for (const i of [Math.floor(ticks.length / 3), ticks.length - 1, 1, Math.floor((2 * ticks.length) / 3)]) {
        await replay.replayControl({ seek: ticks[i]!.t });
        const snap = replay.snapshot();
        expect(snap.replay!.position).toBe(ticks[i]!.t);
        expect(podsRv(snap)).toBe(ticks[i]!.caches.find((c) => c.resource === 'pods')!.resourceVersion);
        expect(snap.watchers.map((w) => w.id)).toEqual(ticks[i]!.watchers.map((w) => w.id));
        // Freshness up to that moment: its last point is this tick's, none later.
        const series = snap.freshness['pods']!;
        expect(series.at(-1)!.t).toBe(ticks[i]!.t);
        // The decisions so far, none after the moment.
        const page = await replay.getDecisions({ since: 0 });
        expect(page.decisions.every((d) => d.time <= ticks[i]!.t)).toBe(true);
        const recordedSoFar = records.filter((r) => r.k === 'decision' && r.t <= ticks[i]!.t).length;
        expect(page.decisions.length).toBe(recordedSoFar);
      }
      // Play at 8x from the start reaches the end by itself.
      await replay.replayControl({ seek: 0, speed: 8, play: true });
      const seen: Snapshot[] = [];
      const off = replay.onSnapshot((s) => seen.push(s));
      const until = Date.now() + 15_000;
      while (replay.status().playing && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      off();
      expect(replay.status().playing).toBe(false);
      expect(replay.status().position).toBe(reader.endTime);
      const positions = seen.map((s) => s.replay!.position);
      expect(positions.length).toBeGreaterThan(5);
      for (let i = 1; i < positions.length; i++) expect(positions[i]!).toBeGreaterThanOrEqual(positions[i - 1]!);
      // Nothing connects during a replay.
      await expect(replay.connect()).rejects.toThrow(/nothing connects during a replay/);
      await expect(replay.runRequest()).rejects.toThrow(/no requests are sent/);
    } finally {
      await replay.close();
      reader.close();
    }
  }, 60_000);

  it('a copy cut at random bytes still replays up to its last complete record', async () => {
    const size = statSync(firstRecording).size;
    const rnd = mulberry32(12);
    for (let trial = 0; trial < 6; trial++) {
      const at = Math.floor(size * (0.2 + 0.75 * rnd()));
      const cut = join(dir, `cut-${trial}.wsrec.gz`);
      copyFileSync(firstRecording, cut);
      truncateSync(cut, at);
      const replay = new ReplayService(cut);
      try {
        const st = replay.status();
        expect(st.cut).toBe(true);
        expect(st.end).toBeGreaterThan(st.start);
        await replay.replayControl({ seek: st.end });
        const snap = replay.snapshot();
        expect(snap.caches.length).toBe(3);
        expect(snap.replay!.position).toBe(st.end);
      } finally {
        await replay.close();
      }
    }
  });
});

const rendererBuilt = existsSync(join(repoRoot, 'out/renderer/index.html'));
if (!rendererBuilt) console.warn('SKIPPED: `watchscope replay --web` needs the built renderer (npm run build); its test is counted as skipped');

describe('watchscope replay FILE (CLI)', () => {
  it.skipIf(!rendererBuilt)('says what it replays, serves the UI in web mode, stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'main/cli.ts'), 'replay', firstRecording, '--web'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      await until(() => /^(ui: |watchscope: )/m.test(stdout + stderr), 30_000, `the ui: line (stdout: ${stdout} stderr: ${stderr})`);
      expect(stdout).toMatch(new RegExp(`^replay: ${firstRecording.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} — demo · etcd 3\\.4\\.23, \\d+ s recorded with watchscope 0\\.1\\.0$`, 'm'));
      const url = /^ui: (\S+)$/m.exec(stdout)![1]!;
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBeLessThan(400);
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      expect(stdout).toMatch(/^stopped$/m);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 60_000);

  it('a missing file is one line and a non-zero exit', async () => {
    const missing = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'main/cli.ts'), 'replay', join(dir, 'nope.wsrec.gz')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    missing.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise((r) => missing.once('exit', r));
    expect(code).not.toBe(0);
    expect(err.trim()).toBe(`watchscope: no such recording: ${join(dir, 'nope.wsrec.gz')}`);
  }, 30_000);
});

describe('demo --record through the CLI, killed with SIGKILL', () => {
  it('opens up to its last complete record', async () => {
    const file = join(dir, 'killed.wsrec.gz');
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'main/cli.ts'), 'demo', '--no-ui', '--writes', '20', '--kubelets', '2', '--informers', '1', '--record', file], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    let etcdPid = 0;
    try {
      await until(() => /^recording: /m.test(stdout), 60_000, `the recording: line (stdout so far: ${stdout})`);
      etcdPid = Number(/pid (\d+)/.exec(stdout)?.[1] ?? 0);
      expect(stdout).toContain(`recording: ${file}`);
      await new Promise((r) => setTimeout(r, 4000));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      // The demo's etcd was the killed CLI's child: it is ours to stop.
      if (etcdPid > 0) {
        try {
          process.kill(etcdPid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    const { reader, records } = readAll(file);
    expect(reader.ended).toBe(false);
    expect(reader.header.source.mode).toBe('demo');
    const events = records.filter((r) => r.k === 'event');
    const ticks = records.filter((r) => r.k === 'tick');
    expect(events.length).toBeGreaterThan(10);
    expect(ticks.length).toBeGreaterThan(5);
    // Up to the last flush (1 s) before the kill.
    expect(reader.endTime).toBeGreaterThan(reader.startTime + 2000);
    reader.close();
  }, 120_000);
});
