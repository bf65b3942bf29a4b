// Record → replay → report → re-run in kube mode: a Session connected through a kubeconfig context
// to a real kube-apiserver (v1.20.2, built by scripts/build-kube-apiserver.sh) on a real etcd.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../session.js';
import { until } from '../storage/apiserver/testing.js';
import { CONTEXTS, KUBE_APISERVER_MISSING_MESSAGE, findKubeApiserver, startTestApiserver, type TestApiserver } from '../storage/kube/testing/apiserver.js';
import { RecordingReader } from './reader.js';
import { ReplayService } from './replay.js';
import { collectReport, renderReport } from './report.js';
import { rerunRecording } from './rerun.js';

const bin = findKubeApiserver();
if (!bin) console.warn(`\n!!! kube mode recording tests SKIPPED: ${KUBE_APISERVER_MISSING_MESSAGE}\n`);
const d = bin ? describe : describe.skip;

d('recording a kube-mode session', () => {
  let api: TestApiserver;
  let session: Session;
  const dir = mkdtempSync(join(tmpdir(), 'wsrec-kube-'));
  const file = join(dir, 'kube.wsrec.gz');

  beforeAll(async () => {
    api = await startTestApiserver();
    await api.kubectl(['create', 'namespace', 'rec']);
    session = new Session({ snapshotIntervalMs: 250, recordingsDir: dir });
    const st = await session.connect({ mode: 'kube', kubeconfig: api.kubeconfig, context: CONTEXTS.admin, resources: ['configmaps', 'pods'] });
    expect(st.state, st.message).toBe('connected');
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await api?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('records the cluster\'s events and the requests, replays them, reports them without credentials, and re-runs them', async () => {
    await session.startRecording({ file });
    for (let i = 0; i < 3; i++) await api.kubectl(['create', 'configmap', `cm-${i}`, '-n', 'rec', `--from-literal=k=${i}`]);
    const list = await session.runRequest({ verb: 'list', resource: 'configmaps', namespace: 'rec', query: {}, userAgent: 'kube-record-test' });
    expect(list.status).toBe(200);
    const paged = await session.runRequest({ verb: 'list', resource: 'configmaps', query: { limit: '1' }, userAgent: 'kube-record-test' });
    expect(paged.status).toBe(200);
    const watch = await session.runRequest({ verb: 'watch', resource: 'configmaps', namespace: 'rec', query: { timeoutSeconds: '2' }, userAgent: 'kube-record-watch' });
    expect(watch.status).toBe(200);
    await until(() => (session.snapshot()?.closedWatchers ?? []).some((w) => w.userAgent.startsWith('kube-record-watch')), 20_000, 'the watch to time out');
    // The consistency check in kube mode compares with the cluster's own answer.
    const { results } = await session.checkConsistency({ resource: 'configmaps' });
    expect(results[0]!.check).toMatchObject({ state: 'match', differencesTotal: 0 });
    await until(() => session.snapshot()?.caches.find((c) => c.resource === 'configmaps')?.consistency?.state === 'match', 5000, 'the verdict in a snapshot');
    await new Promise((r) => setTimeout(r, 600));
    const stopped = await session.setRecording({ action: 'stop' });
    expect(stopped.recording?.state).toBe('stopped');

    const reader = RecordingReader.open(file);
    expect(reader.header.source.mode).toBe('kube');
    expect(reader.ended).toBe(true);
    reader.close();

    // Replay: nothing connects; the state at the end holds the caches, the decisions and the closed watch.
    const replay = new ReplayService(file);
    try {
      expect(replay.describe()).toContain('kube');
      await replay.replayControl({ seek: replay.status().end });
      const s = replay.snapshot();
      expect(s.caches.map((c) => c.resource).sort()).toEqual(['configmaps', 'pods']);
      expect(s.caches.find((c) => c.resource === 'configmaps')?.consistency?.state).toBe('match');
      expect(s.closedWatchers.some((w) => w.userAgent.startsWith('kube-record-watch') && w.closeReason === 'timeout')).toBe(true);
      const page = await replay.getDecisions({ since: 0 });
      expect(page.decisions.filter((x) => x.userAgent.startsWith('kube-record-test')).map((x) => x.verb)).toEqual(['list', 'list']);
    } finally {
      await replay.close();
    }

    // The report: the kube source named, the requests counted, no token, no key material.
    const html = renderReport(collectReport(file));
    expect(html).toContain('kube');
    expect(html).toContain('kube-record-test');
    expect(html).not.toContain(session.current!.server.token);
    expect(html).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
    expect(html).not.toContain(readFileSync(api.kubeconfig, 'utf8').match(/client-key-data: (\S+)/)?.[1] ?? 'no-key-in-kubeconfig');

    // The re-run under the recorded profile (the cluster's version, 1.20) reproduces every read.
    // Under 1.34 the consistent LISTs stay on storage (this cluster's etcd has no progress
    // notifications to make a consistent read from the cache safe), while the watch without a
    // resourceVersion, served from the cache as it is under 1.20, becomes a consistent read that
    // waits for the cache to reach etcd's revision.
    const same = await rerunRecording(file, reader.header.profile);
    expect(same.profile).toBe('1.20');
    expect(same.requests).toBe(3);
    expect(same.reproduced).toBe(3);
    expect(same.changed).toBe(0);
    const newer = await rerunRecording(file, '1.34');
    expect(newer).toMatchObject({ requests: 3, changed: 1, movedToCache: 0, movedToEtcd: 0, wouldWait: 1 });
    const row = newer.rows[0]!;
    expect(row.userAgent.startsWith('kube-record-watch')).toBe(true);
    expect(row.recorded).toMatchObject({ servedBy: 'cache', reason: 'servedFromCache' });
    expect(row.rerun).toMatchObject({ servedBy: 'cache', reason: 'consistentReadFromCache', waits: true });
    expect(newer.byReason.find((b) => b.reason === 'consistentReadFromStorage')).toEqual({ reason: 'consistentReadFromStorage', recorded: 2, rerun: 2 });
  }, 120_000);
});
