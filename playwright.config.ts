// End-to-end tests: the renderer in Debian's Chromium against web mode (and the real IPC
// handlers bridged into the page), plus the Electron app itself where an Electron binary exists.
// Never `playwright install`: the browser is the system one.
import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function chromiumPath(): string {
  try {
    const p = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
    if (p) return p;
  } catch {
    // fall through to the Debian default
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : 'chromium';
}

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results/playwright',
  globalSetup: './e2e/global-setup.ts',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  projects: [
    {
      name: 'web',
      testMatch: /(web|bridge)\.spec\.ts$/,
      use: {
        browserName: 'chromium',
        viewport: { width: 1440, height: 900 },
        launchOptions: {
          executablePath: chromiumPath(),
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--no-first-run',
            '--disable-sync',
            '--disable-quic',
          ],
        },
        trace: 'retain-on-failure',
      },
    },
    {
      name: 'electron',
      testMatch: /electron\.spec\.ts$/,
    },
  ],
});
