// What a page reports going wrong: uncaught exceptions and console errors, gathered into one list
// that a spec asserts empty at the end.
import type { Page } from '@playwright/test';

export function collectPageErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
}
