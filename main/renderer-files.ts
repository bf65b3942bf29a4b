// The built renderer's files, as web mode and the desktop window's app:// scheme both serve them:
// only regular files under the renderer folder, whatever the request path says (`..`, encoded
// `%2e%2e`, backslashes, NUL, or a symlink pointing out of the folder).
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export type RendererFile =
  | { status: 200; body: Buffer; contentType: string }
  | { status: 400 | 404 | 503; text: string };

const within = (root: string, p: string) => p === root || p.startsWith(root + path.sep);

/**
 * The file a URL path (still percent-encoded, as on the wire) names under `rootDir`, or undefined
 * when it names nothing there. `/` is index.html.
 */
export function rendererFilePath(rootDir: string, urlPath: string): string | undefined | 'bad' {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return 'bad';
  }
  // A backslash is a separator on Windows; NUL ends a path early in C.
  if (rel.includes('\0') || rel.includes('\\')) return 'bad';
  if (rel === '/' || rel === '') rel = '/index.html';
  const root = path.resolve(rootDir);
  const file = path.resolve(root, '.' + (rel.startsWith('/') ? rel : '/' + rel));
  return file !== root && within(root, file) ? file : undefined;
}

/** Reads what `urlPath` names under `rootDir`, or says why not (400, 404; 503 when the renderer is not built). */
export async function readRendererFile(rootDir: string, urlPath: string): Promise<RendererFile> {
  const file = rendererFilePath(rootDir, urlPath);
  if (file === 'bad') return { status: 400, text: 'bad path' };
  if (file === undefined) return { status: 404, text: 'not found' };
  try {
    // A symlink inside the folder may point anywhere: the real path must stay under the real root.
    const [realRoot, realFile] = await Promise.all([realpath(path.resolve(rootDir)), realpath(file)]);
    if (!within(realRoot, realFile) || !(await stat(realFile)).isFile()) return { status: 404, text: 'not found' };
    return { status: 200, body: await readFile(realFile), contentType: MIME[path.extname(file)] ?? 'application/octet-stream' };
  } catch {
    if (file === path.join(path.resolve(rootDir), 'index.html')) return { status: 503, text: 'The renderer is not built: run `npm run build` first.' };
    return { status: 404, text: 'not found' };
  }
}
