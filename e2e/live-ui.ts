// A real session served to Chromium in web mode: the built renderer, one page with its errors
// gathered, and one close for all of it (page, web UI, session).
import path from 'node:path';
import type { Browser, Page } from '@playwright/test';
import { startWebUi, type WebUi } from '../main/web.js';
import type { Session } from '../main/session.js';
import { collectPageErrors } from './page-errors.js';

const root = path.resolve(import.meta.dirname, '..');

export interface LiveUi {
  ui: WebUi;
  page: Page;
  close(): Promise<void>;
}

export async function openLiveUi(browser: Browser, session: Session, errors: string[]): Promise<LiveUi> {
  const ui = await startWebUi({ service: session, rendererDir: path.join(root, 'out', 'renderer') });
  const page = await browser.newPage();
  collectPageErrors(page, errors);
  return {
    ui,
    page,
    async close() {
      await page.close();
      await ui.close();
      await session.close();
    },
  };
}
