// What the desktop shell allows, as plain functions: main/index.ts only wires these to Electron's
// events, so every decision here is tested in Node (there is no Electron binary to test with).
//
// The window loads the renderer from app://, a privileged scheme served from the built renderer
// folder only (never file://, which would trust the whole disk as one origin). A Vite dev server
// URL is used only when the shell is started with --dev-renderer (`npm run dev`) and the URL is on
// loopback: an environment variable alone must not point the window IPC trusts at another page.
import { isDocLink } from '../shared/docs-links.js';
import { readRendererFile } from './renderer-files.js';
import { CONTENT_SECURITY_POLICY } from './web.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'watchscope';
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** For protocol.registerSchemesAsPrivileged: a standard, secure origin ('self' in the CSP) and nothing more. */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true } as const;

/** The command-line switch `npm run dev` passes (electron-vite dev -- --dev-renderer). */
export const DEV_RENDERER_SWITCH = '--dev-renderer';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The dev server URL when development mode was asked for explicitly and the URL is a loopback http one. */
export function devRendererUrl(argv: readonly string[], env: Record<string, string | undefined>, packaged: boolean): string | undefined {
  const url = env['ELECTRON_RENDERER_URL'];
  if (packaged || !argv.includes(DEV_RENDERER_SWITCH) || !url) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !LOOPBACK_HOSTS.has(u.hostname) || u.username || u.password) return undefined;
  return u.href;
}

/** Scheme and host of a URL, compared exactly (a custom scheme's URL.origin is "null" for every such URL). */
function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.protocol === 'file:' || u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'javascript:') return undefined;
    if (u.username || u.password) return undefined;
    return `${u.protocol}//${u.host}`;
  } catch {
    return undefined;
  }
}

/** True when `url` is on the renderer's own origin (the one IPC trusts). */
export function isAppOrigin(url: string, rendererUrl: string): boolean {
  const a = originOf(url);
  return a !== undefined && a === originOf(rendererUrl);
}

/** will-navigate / will-redirect / will-frame-navigate: stay on the app's origin or go nowhere. */
export function allowNavigation(target: string, rendererUrl: string): boolean {
  return isAppOrigin(target, rendererUrl);
}

/** window.open and target=_blank: never a new window; the documentation links open in the user's browser. */
export function windowOpenVerdict(target: string): { action: 'deny'; openExternally: boolean } {
  return { action: 'deny', openExternally: isDocLink(target) };
}

/** The app:// handler: files of the built renderer, with the renderer's CSP; anything else 404. */
export async function appSchemeResponse(rendererDir: string, requestUrl: string): Promise<Response> {
  const headers = { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' };
  let u: URL;
  try {
    u = new URL(requestUrl);
  } catch {
    return new Response('bad request\n', { status: 400, headers });
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST || u.username || u.password) return new Response('not found\n', { status: 404, headers });
  const f = await readRendererFile(rendererDir, u.pathname);
  if (f.status !== 200) return new Response(`${f.text}\n`, { status: f.status, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' } });
  return new Response(new Uint8Array(f.body), { status: 200, headers: { ...headers, 'Content-Type': f.contentType } });
}
