// The packaged shape: launch the built Electron app with Playwright's _electron and check the
// window's security settings and that the renderer reached the session over IPC. Needs an
// Electron binary; where there is none (it cannot be downloaded on every machine) the test is
// skipped loudly with the reason. Never resolve the path by importing the `electron` package in
// Node: that triggers a download.
import { test, expect, _electron as electron } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

function electronBinary(): { path?: string; why: string } {
  const pkg = path.join(root, 'node_modules', 'electron');
  const pathTxt = path.join(pkg, 'path.txt');
  const rel = existsSync(pathTxt) ? readFileSync(pathTxt, 'utf8').trim() : undefined;
  const override = process.env['ELECTRON_OVERRIDE_DIST_PATH'];
  if (override) {
    const p = path.join(override, rel || 'electron');
    return existsSync(p) ? { path: p, why: '' } : { why: `ELECTRON_OVERRIDE_DIST_PATH is set but ${p} does not exist` };
  }
  if (rel && existsSync(path.join(pkg, 'dist', rel))) return { path: path.join(pkg, 'dist', rel), why: '' };
  return { why: 'no Electron binary: the electron package has not downloaded one and ELECTRON_OVERRIDE_DIST_PATH is unset' };
}

test('the Electron window is sandboxed and talks to the session over IPC', async () => {
  const bin = electronBinary();
  if (!bin.path) {
    console.warn(`SKIPPED e2e/electron.spec.ts: ${bin.why}`);
    test.skip(true, bin.why);
    return;
  }
  const app = await electron.launch({
    executablePath: bin.path,
    args: [path.join(root, 'out', 'main', 'index.js'), '--no-sandbox'],
    cwd: root,
    // Without --dev-renderer this must change nothing: the window still loads app://.
    env: { ...process.env, ELECTRON_RENDERER_URL: 'https://example.invalid/' },
  });
  try {
    const win = await app.firstWindow();
    await expect(win.getByTestId('app')).toBeVisible();
    expect(win.url()).toBe('app://watchscope/index.html');
    // The app-wide guard: window.open opens no window.
    const windows = app.windows().length;
    await win.evaluate(() => window.open('https://example.invalid/', '_blank'));
    await win.waitForTimeout(300);
    expect(app.windows()).toHaveLength(windows);
    // nodeIntegration off and context isolation on: the page sees no Node globals.
    expect(await win.evaluate(() => typeof (globalThis as unknown as { process?: unknown }).process)).toBe('undefined');
    // Navigation away is denied by the shell.
    const before = win.url();
    await win.evaluate(() => (location.href = 'https://example.invalid/'));
    await win.waitForTimeout(300);
    expect(win.url()).toBe(before);
    // The page has the bridge and no Node.
    expect(await win.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
    expect(await win.evaluate(() => typeof (window as unknown as { watchscope?: unknown }).watchscope)).toBe('object');
    // The Connect view asked main for the kubeconfig contexts and got an answer (list or a reason).
    await expect(win.getByTestId('contexts')).not.toContainText('Reading kubeconfig');
  } finally {
    await app.close();
  }
});
