// The e2e tests load the built renderer and preload: build them once if they are missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export default function globalSetup(): void {
  const root = path.resolve(import.meta.dirname, '..');
  const needed = ['out/renderer/index.html', 'out/preload/preload.cjs'].map((p) => path.join(root, p));
  if (needed.every((p) => existsSync(p)) && !process.env['WATCHSCOPE_E2E_REBUILD']) return;
  console.log('e2e: building the app (npx electron-vite build)…');
  execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit' });
}
