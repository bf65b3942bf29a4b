// Record → replay in Debian Chromium against the REAL session: the demo's etcd child, the cacher,
// the endpoint and the workload. The Record button writes a recording; it is then opened by the
// replay service behind the same UI. Screenshots: test-results/screens/record-*.png, replay-*.png.
import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { collectReport, renderReport } from '../main/recording/report.js';
import { tmpdir } from 'node:os';
import type { WebUi } from '../main/web.js';
import { Session } from '../main/session.js';
import { RecordingReader } from '../main/recording/reader.js';
import { ReplayService } from '../main/recording/replay.js';
import { rerunRecording } from '../main/recording/rerun.js';
import { paintedPixels } from './canvas.js';
import { openLiveSession, type LiveSessionPage } from './live-session.js';

const root = path.resolve(import.meta.dirname, '..');
const shots = path.join(root, 'test-results', 'screens');
mkdirSync(shots, { recursive: true });
/** Made in beforeAll: Playwright also loads this file to list its tests, and that load must leave nothing behind. */
let dir = '';

let live: LiveSessionPage<Session> | undefined;
let ui: WebUi;
let session: Session;
let page: Page;
/** The recording the first test makes; the others open it. */
let recordedFile = '';
const errors: string[] = [];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  dir = mkdtempSync(path.join(tmpdir(), 'wsrec-e2e-'));
  live = await openLiveSession(browser, new Session({ recordingsDir: dir, demo: { workload: { writesPerSecond: 30, kubelets: 3, informers: 2, slowReader: false } } }), errors);
  ({ session, ui, page } = live);
});

test.afterAll(async () => {
  await live?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('Record: the button records the live demo, the header shows REC and its size, Stop names the file', async () => {
  test.setTimeout(120_000);
  await page.goto(ui.url);
  await page.getByTestId('connect-demo').click();
  await expect(page.getByTestId('connection-state')).toHaveAttribute('data-state', 'connected', { timeout: 60_000 });
  await expect(page.getByTestId('recording')).toHaveAttribute('data-state', 'none');
  // The demo's informers and kubelets open their watches just after it connects: record once they
  // have, so a replay opened at its first moment (as the cut-copy test does) already shows them.
  await expect(page.getByTestId('tab-watchers')).toHaveText(/Watchers\s*[1-9]/, { timeout: 30_000 });
  await page.getByTestId('record-toggle').click();
  await expect(page.getByTestId('recording')).toHaveAttribute('data-state', 'recording');
  await expect(page.getByTestId('recording-indicator')).toContainText('REC');
  await expect(page.getByTestId('recording-indicator')).toContainText('/ 512 MB');
  await expect(page.getByTestId('record-toggle')).toHaveText('Stop recording');
  // Let the workload run a while, and a watch open and be closed by its timeout, while recording.
  await page.waitForTimeout(3000);
  await page.screenshot({ path: path.join(shots, 'record-live.png') });
  const w = await session.runRequest({ verb: 'watch', resource: 'configmaps', query: { timeoutSeconds: '3' }, userAgent: 'replay-e2e-watch' });
  expect(w.status).toBe(200);
  await page.waitForTimeout(6000);
  await page.getByTestId('record-toggle').click();
  await expect(page.getByTestId('recording')).toHaveAttribute('data-state', 'stopped');
  const file = (await page.getByTestId('recording-file').textContent())!.trim();
  expect(file.startsWith(dir)).toBe(true);
  expect(existsSync(file)).toBe(true);
  const r = RecordingReader.open(file);
  expect(r.ended).toBe(true);
  expect(r.endTime - r.startTime).toBeGreaterThan(5000);
  r.close();
  recordedFile = file;
  expect(errors).toEqual([]);
});

/** Clicks what starts a download and returns the file's name and bytes. */
async function downloaded(p: Page, testid: string): Promise<{ name: string; body: Buffer }> {
  const [dl] = await Promise.all([p.waitForEvent('download'), p.getByTestId(testid).click()]);
  const file = await dl.path();
  return { name: dl.suggestedFilename(), body: readFileSync(file) };
}

test('Export: the rows in view as CSV and JSON, a chart as PNG, and the report from the header', async () => {
  test.setTimeout(60_000);
  // Requests: the filtered rows, all of them, not only those scrolled into view.
  await page.keyboard.press('Control+4');
  await page.getByTestId('filter-served').selectOption('cache');
  await page.getByTestId('requests-pause').click();
  const inView = Number(/^(\d+) of/.exec((await page.getByTestId('requests-count').textContent()) ?? '')?.[1] ?? -1);
  expect(inView).toBeGreaterThan(0);
  const csv = await downloaded(page, 'requests-export-csv');
  expect(csv.name).toMatch(/^watchscope-requests-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.csv$/);
  const lines = csv.body.toString('utf8').trimEnd().split('\r\n');
  expect(lines[0]!.startsWith('id,time,verb,resource,')).toBe(true);
  expect(lines).toHaveLength(inView + 1);
  const servedCol = lines[0]!.split(',').indexOf('servedBy');
  expect(lines.slice(1).every((l) => l.split(',')[servedCol] === 'cache')).toBe(true);
  const json = await downloaded(page, 'requests-export-json');
  const rows = JSON.parse(json.body.toString('utf8')) as { servedBy: string; reason: string }[];
  expect(rows).toHaveLength(inView);
  expect(rows.every((r) => r.servedBy === 'cache' && typeof r.reason === 'string')).toBe(true);
  await page.getByTestId('requests-resume').click();
  await page.getByTestId('filter-served').selectOption('');

  // Watchers: the recently closed ones hold the short watch, closed by its timeout.
  await page.keyboard.press('Control+2');
  await page.getByTestId('show-closed').click();
  await page.getByTestId('watcher-filter').fill('replay-e2e-watch');
  await expect(page.getByTestId('watcher-row').first()).toBeVisible();
  const wj = await downloaded(page, 'watchers-export-json');
  expect(wj.name).toMatch(/^watchscope-closed-watchers-.*\.json$/);
  const closedRows = JSON.parse(wj.body.toString('utf8')) as { userAgent: string; closeReason: string }[];
  expect(closedRows.length).toBe(await page.getByTestId('watcher-row').count());
  expect(closedRows.some((w) => w.userAgent.startsWith('replay-e2e-watch') && w.closeReason === 'timeout')).toBe(true);
  await page.getByTestId('watcher-filter').fill('');
  await page.getByTestId('show-live').click();

  // Freshness: the chart as a PNG of the canvas's size, with pixels drawn.
  await page.keyboard.press('Control+3');
  await page.getByTestId('cache-card').filter({ hasText: 'pods' }).first().click();
  await expect(page.getByTestId('freshness-chart').locator('canvas')).toBeVisible();
  const png = await downloaded(page, 'freshness-chart-png');
  expect(png.name).toMatch(/^watchscope-freshness-pods-.*\.png$/);
  expect(png.body.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  const width = png.body.readUInt32BE(16);
  const canvasWidth = await page.getByTestId('freshness-chart').locator('canvas').evaluate((c: HTMLCanvasElement) => c.width);
  expect(width).toBe(canvasWidth);
  expect(png.body.length).toBeGreaterThan(5000);

  // The report of the recording just stopped, from the header.
  const rep = await downloaded(page, 'report-download');
  expect(rep.name).toBe(path.basename(recordedFile).replace(/\.wsrec\.gz$/, '') + '.report.html');
  const html = rep.body.toString('utf8');
  expect(html).toContain('watchscope report');
  expect(html).toContain('replay-e2e-watch');
  expect(html).not.toContain(session.current!.server.token);
  await page.screenshot({ path: path.join(shots, 'export-freshness.png') });
  expect(errors).toEqual([]);
});

test('Report: the one-file HTML report opens in Chromium with its charts drawn, and holds no credentials', async ({ browser }) => {
  const out = path.join(dir, 'report.html');
  writeFileSync(out, renderReport(collectReport(recordedFile)));
  const html = readFileSync(out, 'utf8');
  expect(html).not.toContain(session.current!.server.token);
  expect(html).not.toContain('"value"');
  const p = await browser.newPage();
  try {
    await p.goto(pathToFileURL(out).href);
    await expect(p.locator('h1')).toContainText('watchscope report');
    await expect(p.locator('#summary')).toContainText('demo · etcd 3.4.23');
    // Decisions by reason and the clients: the workload's informers and kubelets are there.
    await expect(p.locator('#reasons tr')).not.toHaveCount(1);
    await expect(p.locator('#clients')).toContainText('replay-e2e-watch');
    // The short watch closed by its timeout.
    await expect(p.locator('#closed')).toContainText('timeout');
    // Freshness charts are SVG with drawn lines for pods.
    const lines = p.locator('#freshness svg polyline');
    expect(await lines.count()).toBeGreaterThanOrEqual(3);
    const points = await p.locator('#freshness figure', { hasText: 'pods: etcd revision' }).locator('polyline').first().getAttribute('points');
    expect(points!.split(' ').length).toBeGreaterThan(10);
    const box = await p.locator('#freshness svg').first().boundingBox();
    expect(box!.width).toBeGreaterThan(400);
    await p.screenshot({ path: path.join(shots, 'report.png'), fullPage: true });
  } finally {
    await p.close();
  }
});

test.describe('Replay of that recording', () => {
  let replayLive: LiveSessionPage<ReplayService> | undefined;
  let replay: ReplayService;
  let replayUi: WebUi;
  let rp: Page;
  let closedAt = 0;

  test.beforeAll(async ({ browser }) => {
    replayLive = await openLiveSession(browser, new ReplayService(recordedFile), errors);
    ({ session: replay, ui: replayUi, page: rp } = replayLive);
    // The short watch, closed by its timeout, as recorded.
    const r = RecordingReader.open(recordedFile);
    for (let i = 0; i < r.segments.length && !closedAt; i++) {
      for (const rec of r.readSegment(i).records) {
        if (rec.k === 'closed' && rec.watcher.userAgent.startsWith('replay-e2e-watch')) {
          closedAt = rec.watcher.closedAt!;
          break;
        }
      }
    }
    r.close();
  });

  test.afterAll(async () => {
    await replayLive?.close();
    await replay?.close();
  });

  const seek = async (t: number) => {
    await rp.getByTestId('replay-scrubber').fill(String(t));
    await expect(rp.getByTestId('replay-clock')).toHaveText(clock(Math.min(Math.max(Math.floor(t / 250) * 250, replay.status().start), replay.status().end)), { timeout: 5000 }).catch(() => undefined);
  };
  const clock = (t: number) => {
    const d = new Date(t);
    return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  };

  test('the header says it is a replay and of what; the timeline drives every view', async () => {
    test.setTimeout(120_000);
    expect(closedAt).toBeGreaterThan(0);
    await rp.goto(replayUi.url);
    await expect(rp.getByTestId('replay-badge')).toHaveText('REPLAY');
    await expect(rp.getByTestId('replay-of')).toContainText('demo · etcd 3.4.23');
    await expect(rp.getByTestId('replay-bar')).toBeVisible();
    // No Record button in a replay, and no live connection state: it connects to nothing.
    await expect(rp.getByTestId('record-toggle')).toHaveCount(0);
    await expect(rp.getByTestId('connection-state')).toHaveCount(0);
    await expect(rp.getByTestId('header')).not.toContainText('Connected');
    // The report of the replayed file.
    const rep = await downloaded(rp, 'report-download');
    expect(rep.body.toString('utf8')).toContain('replay-e2e-watch');

    // A second before it closed: the watch is live, with its buffers.
    await rp.keyboard.press('Control+2');
    await seek(closedAt - 1000);
    const short = rp.getByTestId('watcher-row').filter({ hasText: 'replay-e2e-watch' });
    await expect(short.first()).toBeVisible();
    await expect(short.first()).toContainText('configmaps');
    // Its age is at the scrubbed moment (about 2 s into its 3 s), not by the wall clock.
    await expect(short.first()).toContainText(/\b[1-3](\.\d)? s\b/);
    await expect(short.first().getByTestId('fill-input')).toBeVisible();
    expect(replay.snapshot().watchers.some((x) => x.userAgent.startsWith('replay-e2e-watch'))).toBe(true);
    await rp.screenshot({ path: path.join(shots, 'replay-watchers-before-close.png') });

    // A second after: closed, with its reason.
    await seek(closedAt + 1000);
    await expect(short).toHaveCount(0);
    await rp.getByTestId('show-closed').click();
    await rp.getByTestId('watcher-filter').fill('replay-e2e-watch');
    const closed = rp.getByTestId('watcher-row').filter({ hasText: 'timeout' });
    await expect(closed.first()).toBeVisible();
    await rp.screenshot({ path: path.join(shots, 'replay-watchers-closed.png') });
    // Back before the close: it is not among the closed ones yet.
    await seek(closedAt - 2000);
    await expect(closed).toHaveCount(0);
    await rp.getByTestId('watcher-filter').fill('');
    await rp.getByTestId('show-live').click();

    // Freshness up to the scrubbed moment, drawn.
    await rp.keyboard.press('Control+3');
    await seek(replay.status().end);
    const pods = rp.getByTestId('cache-card').filter({ hasText: 'pods' }).first();
    await pods.click();
    const canvas = rp.getByTestId('freshness-chart').locator('canvas');
    await expect(canvas).toBeVisible();
    await rp.waitForTimeout(1000);
    expect(await paintedPixels(canvas)).toBeGreaterThan(1000);
    await rp.screenshot({ path: path.join(shots, 'replay-freshness.png') });

    // The decisions so far: fewer early on than at the end, and the count follows the scrubber back.
    await rp.keyboard.press('Control+4');
    const count = async () => Number(/of (\d+) requests/.exec((await rp.getByTestId('requests-count').textContent()) ?? '')?.[1] ?? -1);
    await expect.poll(count).toBeGreaterThan(0);
    const atEnd = await count();
    await seek(replay.status().start + 1500);
    await expect.poll(count).toBeLessThan(atEnd);
    await rp.screenshot({ path: path.join(shots, 'replay-requests-early.png') });

    // Play at 8x: the clock moves forward by itself; pause stops it.
    await rp.getByTestId('replay-speed').selectOption('8');
    await rp.getByTestId('replay-play').click();
    await expect(rp.getByTestId('replay-bar')).toHaveAttribute('data-playing', 'true');
    const c1 = await rp.getByTestId('replay-clock').textContent();
    await expect(rp.getByTestId('replay-clock')).not.toHaveText(c1!);
    await rp.getByTestId('replay-play').click();
    await expect(rp.getByTestId('replay-bar')).toHaveAttribute('data-playing', 'false');
    expect(replay.status().speed).toBe(8);
    expect(errors).toEqual([]);
  });

  test('Compare: the replay re-run under 1.27 lists what would change, as the CLI re-run does', async () => {
    test.setTimeout(120_000);
    const cli = await rerunRecording(recordedFile, '1.27');
    // Under 1.27 a watch without a resourceVersion goes to etcd: the recorded short watch moves.
    expect(cli.movedToEtcd).toBeGreaterThan(0);
    await rp.getByTestId('rerun-toggle').click();
    await rp.getByTestId('rerun-profile').selectOption('1.27');
    await rp.getByTestId('rerun-run').click();
    await expect(rp.getByTestId('rerun-summary')).toBeVisible({ timeout: 60_000 });
    await expect(rp.getByTestId('rerun-changed')).toHaveText(String(cli.changed));
    await expect(rp.getByTestId('rerun-to-etcd')).toHaveText(String(cli.movedToEtcd));
    await expect(rp.getByTestId('rerun-to-cache')).toHaveText(String(cli.movedToCache));
    const watchRow = rp.getByTestId('rerun-row').filter({ hasText: 'replay-e2e-watch' });
    await expect(watchRow).toHaveCount(1);
    await expect(watchRow).toContainText('watch configmaps');
    await expect(watchRow.locator('td').nth(4)).toContainText('etcd');
    await expect(rp.getByTestId('rerun-limitations')).toContainText('cannot reproduce');
    await rp.screenshot({ path: path.join(shots, 'replay-compare.png') });
    // A live session refuses it with a message that says where it works.
    await expect(session.rerunReplay()).rejects.toThrow('works in a replay');
  });

  test('a copy cut at a random byte replays, and says it was cut', async ({ browser }) => {
    const size = statSync(recordedFile).size;
    const cut = path.join(dir, 'cut.wsrec.gz');
    copyFileSync(recordedFile, cut);
    truncateSync(cut, Math.floor(size * (0.3 + 0.6 * Math.random())));
    const { page: p2, ui: ui2, close } = await openLiveSession(browser, new ReplayService(cut));
    try {
      await p2.goto(ui2.url);
      await expect(p2.getByTestId('replay-badge')).toHaveText('REPLAY');
      await expect(p2.getByTestId('replay-cut')).toContainText('cut short');
      await p2.keyboard.press('Control+2');
      await expect(p2.getByTestId('watcher-row').first()).toBeVisible();
      await p2.screenshot({ path: path.join(shots, 'replay-cut.png') });
    } finally {
      await close();
    }
  });
});
