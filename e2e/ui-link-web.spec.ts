// The one-time UI link in two real browsers: the first to open it gets the session, the second is
// told how to get a fresh link, and the link `watchscope open` fetches (same request, same
// control token) opens the UI in that second browser, once.
import { test, expect } from '@playwright/test';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startWebUi, type WebUi } from '../main/web.js';
import { requestFreshLink } from '../main/ui-session-file.js';
import { FakeWatchscopeService } from './fake-service.js';

const root = path.resolve(import.meta.dirname, '..');
let ui: WebUi;
let service: FakeWatchscopeService;
const controlToken = randomBytes(32).toString('base64url');

test.beforeAll(async () => {
  service = new FakeWatchscopeService({ watchers: 5, snapshotIntervalMs: 200 });
  ui = await startWebUi({ service, rendererDir: path.join(root, 'out', 'renderer'), controlToken });
});
test.afterAll(async () => {
  await ui?.close();
  service?.close();
});

test('a spent link says to run `watchscope open`; its fresh link opens the UI in another browser, once', async ({ browser }) => {
  const first = await browser.newContext();
  const second = await browser.newContext();
  try {
    const a = await first.newPage();
    await a.goto(ui.url);
    await expect(a.getByTestId('app')).toBeVisible();

    const b = await second.newPage();
    await b.goto(ui.url);
    await expect(b.locator('body')).toHaveText('This link was already used or is wrong. For a fresh link, run `watchscope open` in a terminal (the session keeps running).');

    const fresh = await requestFreshLink({ pid: process.pid, origin: ui.origin, controlToken });
    await b.goto(fresh);
    await expect(b.getByTestId('app')).toBeVisible();
    // The token left the address bar with the redirect, and the first browser still has its session.
    expect(new URL(b.url()).searchParams.has('token')).toBe(false);
    await a.reload();
    await expect(a.getByTestId('app')).toBeVisible();

    const third = await browser.newContext();
    const c = await third.newPage();
    await c.goto(fresh);
    await expect(c.locator('body')).toContainText('run `watchscope open`');
    await third.close();
  } finally {
    await first.close();
    await second.close();
  }
});
