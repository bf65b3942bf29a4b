// Record → replay in Debian Chromium against the REAL session: the demo's etcd child, the cacher,
// the endpoint and the workload. The Record button writes a recording; it is then opened by the
// replay service behind the same UI. Screenshots: test-results/screens/record-*.png, replay-*.png.
import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startWebUi, type WebUi } from '../main/web.js';
import { Session } from '../main/session.js';
import { RecordingReader } from '../main/recording/reader.js';

const root = path.resolve(import.meta.dirname, '..');
const shots = path.join(root, 'test-results', 'screens');
mkdirSync(shots, { recursive: true });
const dir = mkdtempSync(path.join(tmpdir(), 'wsrec-e2e-'));

let ui: WebUi;
let session: Session;
let page: Page;
const errors: string[] = [];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  session = new Session({ recordingsDir: dir, demo: { workload: { writesPerSecond: 30, kubelets: 3, informers: 2, slowReader: false } } });
  ui = await startWebUi({ service: session, rendererDir: path.join(root, 'out', 'renderer') });
  page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
});

test.afterAll(async () => {
  await page?.close();
  await ui?.close();
  await session?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('Record: the button records the live demo, the header shows REC and its size, Stop names the file', async () => {
  test.setTimeout(120_000);
  await page.goto(ui.url);
  await page.getByTestId('connect-demo').click();
  await expect(page.getByTestId('connection-state')).toHaveAttribute('data-state', 'connected', { timeout: 60_000 });
  await expect(page.getByTestId('recording')).toHaveAttribute('data-state', 'none');
  await page.getByTestId('record-toggle').click();
  await expect(page.getByTestId('recording')).toHaveAttribute('data-state', 'recording');
  await expect(page.getByTestId('recording-indicator')).toContainText('REC');
  await expect(page.getByTestId('recording-indicator')).toContainText('/ 512 MB');
  await expect(page.getByTestId('record-toggle')).toHaveText('Stop recording');
  // Let the workload run a while (and a scenario close a watcher) while recording.
  await page.waitForTimeout(6000);
  await page.screenshot({ path: path.join(shots, 'record-live.png') });
  await page.getByTestId('record-toggle').click();
  await expect(page.getByTestId('recording')).toHaveAttribute('data-state', 'stopped');
  const file = (await page.getByTestId('recording-file').textContent())!.trim();
  expect(file.startsWith(dir)).toBe(true);
  expect(existsSync(file)).toBe(true);
  const r = RecordingReader.open(file);
  expect(r.ended).toBe(true);
  expect(r.endTime - r.startTime).toBeGreaterThan(5000);
  r.close();
  expect(errors).toEqual([]);
});
