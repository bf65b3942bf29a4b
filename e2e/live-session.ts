// A real Session served in web mode to one browser page, for the specs that drive the live demo.
import type { Browser, Page } from '@playwright/test';
import path from 'node:path';
import { startWebUi, type WebUi } from '../main/web.js';
import { Session, type SessionOptions } from '../main/session.js';
import { collectPageErrors } from './page-errors.js';

export interface LiveSessionPage {
  session: Session;
  ui: WebUi;
  page: Page;
  /** Uncaught page exceptions and console errors so far. */
  errors: string[];
  close(): Promise<void>;
}

export async function openLiveSession(browser: Browser, options: SessionOptions): Promise<LiveSessionPage> {
  const root = path.resolve(import.meta.dirname, '..');
  const session = new Session(options);
  const ui = await startWebUi({ service: session, rendererDir: path.join(root, 'out', 'renderer') });
  const page = await browser.newPage();
  const errors: string[] = [];
  collectPageErrors(page, errors);
  return {
    session,
    ui,
    page,
    errors,
    async close() {
      await page.close();
      await ui.close();
      await session.close();
    },
  };
}
