// Test harness: `watchscope ARGS` as a user runs it (a child process through tsx, no build needed).
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

export function watchscope(args: string[], limitMs = 90_000): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((res) => {
    execFile(process.execPath, ['--import', 'tsx', join(repoRoot, 'main/cli.ts'), ...args], { cwd: repoRoot, timeout: limitMs, env: { ...process.env, NO_COLOR: '1' } }, (e, stdout, stderr) =>
      res({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr, ms: Date.now() - t0 }),
    );
  });
}
