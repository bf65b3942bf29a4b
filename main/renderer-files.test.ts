import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRendererFile, rendererFilePath } from './renderer-files.js';

describe('renderer files (web mode and the app:// scheme)', () => {
  let base: string;
  let root: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'watchscope-renderer-files-'));
    root = join(base, 'renderer');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>ok</title>');
    writeFileSync(join(root, 'assets', 'app.js'), 'export {};');
    writeFileSync(join(base, 'secret.txt'), 'outside');
    symlinkSync(join(base, 'secret.txt'), join(root, 'assets', 'link.js'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('serves index.html for / and files under the folder with their type', async () => {
    expect(rendererFilePath(root, '/')).toBe(join(root, 'index.html'));
    const index = await readRendererFile(root, '/');
    expect(index).toMatchObject({ status: 200, contentType: 'text/html; charset=utf-8' });
    expect(await readRendererFile(root, '/assets/app.js')).toMatchObject({ status: 200, contentType: 'text/javascript; charset=utf-8' });
    expect(await readRendererFile(root, '/assets/%61pp.js')).toMatchObject({ status: 200 });
  });

  it.each([
    ['/../secret.txt', 404],
    ['/assets/../../secret.txt', 404],
    ['/%2e%2e/secret.txt', 404],
    ['/%2E%2E%2Fsecret.txt', 404],
    ['/assets/link.js', 404], // a symlink out of the folder
    ['/assets', 404], // a folder, not a file
    ['/nope.js', 404],
    ['/..%5csecret.txt', 400],
    ['/index.html%00.js', 400],
    ['/%E0%A4%A', 400],
  ])('refuses %s with %i and never reads outside the folder', async (p, status) => {
    const f = await readRendererFile(root, p);
    expect(f.status).toBe(status);
    expect('body' in f ? f.body.toString() : '').not.toContain('outside');
  });

  it('says the renderer is not built when index.html is missing', async () => {
    expect(await readRendererFile(join(base, 'missing'), '/')).toEqual({ status: 503, text: 'The renderer is not built: run `npm run build` first.' });
  });
});
