import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOC_LINKS } from '../shared/docs-links.js';
import { CONTENT_SECURITY_POLICY } from './web.js';
import { APP_ENTRY_URL, DEV_RENDERER_SWITCH, allowNavigation, appSchemeResponse, devRendererUrl, windowOpenVerdict } from './shell-policy.js';

describe('the desktop shell policy', () => {
  it('uses ELECTRON_RENDERER_URL only with --dev-renderer, unpackaged, and on loopback', () => {
    const env = { ELECTRON_RENDERER_URL: 'http://localhost:5173/' };
    expect(devRendererUrl(['electron', 'out/main/index.js', DEV_RENDERER_SWITCH], env, false)).toBe('http://localhost:5173/');
    expect(devRendererUrl(['electron', 'out/main/index.js', DEV_RENDERER_SWITCH], { ELECTRON_RENDERER_URL: 'http://127.0.0.1:5173' }, false)).toBe('http://127.0.0.1:5173/');
    // The variable alone (inherited from some shell) changes nothing.
    expect(devRendererUrl(['electron', 'out/main/index.js'], env, false)).toBeUndefined();
    expect(devRendererUrl(['electron', 'out/main/index.js', DEV_RENDERER_SWITCH], env, true)).toBeUndefined();
    for (const url of ['https://evil.example/', 'http://10.0.0.1:5173/', 'file:///tmp/x.html', 'http://user@localhost:5173/', 'javascript:alert(1)', 'not a url']) {
      expect(devRendererUrl([DEV_RENDERER_SWITCH], { ELECTRON_RENDERER_URL: url }, false), url).toBeUndefined();
    }
  });

  it('lets the window navigate only within its own origin', () => {
    expect(allowNavigation('app://watchscope/index.html#x', APP_ENTRY_URL)).toBe(true);
    for (const t of ['https://example.invalid/', 'app://other/index.html', 'file:///etc/passwd', 'http://localhost:5173/', 'javascript:alert(1)', 'data:text/html,x', 'about:blank']) {
      expect(allowNavigation(t, APP_ENTRY_URL), t).toBe(false);
    }
    expect(allowNavigation('http://localhost:5173/src/x', 'http://localhost:5173/')).toBe(true);
    expect(allowNavigation('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
  });

  it('never opens a window; hands only the documentation links to the browser', () => {
    for (const l of DOC_LINKS) expect(windowOpenVerdict(l.url)).toEqual({ action: 'deny', openExternally: true });
    for (const t of ['https://example.com/', 'app://watchscope/index.html', 'file:///etc/passwd', `${DOC_LINKS[0].url}/../x`]) {
      expect(windowOpenVerdict(t), t).toEqual({ action: 'deny', openExternally: false });
    }
  });

  describe('app:// handler', () => {
    let root: string;
    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), 'watchscope-app-scheme-'));
      mkdirSync(join(root, 'assets'));
      writeFileSync(join(root, 'index.html'), '<!doctype html><title>ok</title>');
      writeFileSync(join(root, 'assets', 'a.js'), 'export {};');
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it('serves the renderer with its CSP and refuses other hosts and paths out of the folder', async () => {
      const index = await appSchemeResponse(root, APP_ENTRY_URL);
      expect(index.status).toBe(200);
      expect(await index.text()).toContain('<title>ok</title>');
      expect(index.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect((await appSchemeResponse(root, 'app://watchscope/assets/a.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect((await appSchemeResponse(root, 'app://watchscope/')).status).toBe(200);
      for (const u of ['app://other/index.html', 'app://watchscope/%2e%2e/%2e%2e/etc/passwd', 'app://watchscope/..%2f..%2fetc/passwd', 'app://watchscope/nope', 'other://watchscope/index.html']) {
        expect((await appSchemeResponse(root, u)).status, u).toBe(404);
      }
      expect((await appSchemeResponse(root, 'app://watchscope/..%5c..%5cetc%5cpasswd')).status).toBe(400);
    });
  });
});

describe('Content-Security-Policy', () => {
  it('forbids <base> and form submissions, the same in web mode, the app:// scheme and index.html', async () => {
    const directives = CONTENT_SECURITY_POLICY.split(';').map((d) => d.trim());
    expect(directives).toContain("base-uri 'none'");
    expect(directives).toContain("form-action 'none'");
    const { readFileSync } = await import('node:fs');
    const html = readFileSync(join(import.meta.dirname, '../renderer/index.html'), 'utf8');
    expect(/http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1]).toBe(CONTENT_SECURITY_POLICY);
  });
});
