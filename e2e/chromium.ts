// Debian's Chromium, as the browser tests and the renderer bench launch it. Never
// `playwright install`: the browser is the system one.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** `chromium` on PATH, else Debian's default location; undefined when neither exists. */
export function findChromium(): string | undefined {
  try {
    const p = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
    if (p) return p;
  } catch {
    // not on PATH
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

/**
 * Headless as root needs --no-sandbox; the networking flags stop Chromium from calling hosts a
 * closed network refuses.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];
