// A real service (a live Session, or a ReplayService) served in web mode to one browser page: the built renderer, the page's errors
// gathered, and one close for all of it (page, web UI, session). Every spec that drives a live
// session opens it here.
import type { Browser, Page } from '@playwright/test';
import path from 'node:path';
import { startWebUi, type WebUi } from '../main/web.js';
import type { WatchscopeService } from '../shared/ipc.js';
import { collectPageErrors } from './page-errors.js';

const rendererDir = path.join(path.resolve(import.meta.dirname, '..'), 'out', 'renderer');

/** What web mode serves and the helper closes at the end. */
type Service = WatchscopeService & { close(): Promise<void> };

export interface LiveSessionPage<S extends Service = Service> {
  session: S;
  ui: WebUi;
  page: Page;
  /** Uncaught page exceptions and console errors so far (the array passed in, when one was). */
  errors: string[];
  close(): Promise<void>;
}

export async function openLiveSession<S extends Service>(browser: Browser, session: S, errors: string[] = []): Promise<LiveSessionPage<S>> {
  const ui = await startWebUi({ service: session, rendererDir });
  const page = await browser.newPage();
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
