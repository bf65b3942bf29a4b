// End-to-end tests: the renderer in Debian's Chromium against web mode (and the real IPC
// handlers bridged into the page), plus the Electron app itself where an Electron binary exists.
// Never `playwright install`: the browser is the system one.
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from './e2e/chromium.js';

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
          executablePath: findChromium() ?? 'chromium',
          args: CHROMIUM_ARGS,
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
