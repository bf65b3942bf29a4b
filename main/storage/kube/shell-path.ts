// The PATH of the user's login shell. A desktop launcher starts the app with a minimal PATH
// (no ~/.local/bin, no cloud SDK dirs), so exec credential plugins such as
// gke-gcloud-auth-plugin, aws or kubelogin would not be found although `kubectl` finds them in a
// terminal. We ask the login shell once, with a timeout, and remember the answer.
import { spawn } from 'node:child_process';
import { delimiter } from 'node:path';

const START = '__watchscope_path_start__';
const END = '__watchscope_path_end__';

let cached: Promise<string> | undefined;

/** Runs `$SHELL -ilc` once (bounded by `timeoutMs`) and returns its PATH; '' when unavailable. */
export function loginShellPath(timeoutMs = 3000): Promise<string> {
  cached ??= readLoginShellPath(timeoutMs);
  return cached;
}

/** For tests: forget the remembered answer. */
export function resetLoginShellPathCache(): void {
  cached = undefined;
}

function readLoginShellPath(timeoutMs: number): Promise<string> {
  const shell = process.env.SHELL;
  if (!shell || process.platform === 'win32') return Promise.resolve('');
  return new Promise((resolve) => {
    let out = '';
    let done = false;
    const finish = (v: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(v);
    };
    // Markers around the value: interactive shells may print banners or prompts on stdout.
    const child = spawn(shell, ['-ilc', `printf '${START}%s${END}' "$PATH"`], {
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: false,
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish('');
    }, timeoutMs);
    timer.unref();
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (out.length > 1_000_000) out = out.slice(-100_000);
    });
    child.on('error', () => finish(''));
    child.on('close', () => {
      const m = out.match(new RegExp(`${START}(.*?)${END}`, 's'));
      finish(m ? m[1]! : '');
    });
  });
}

/** Login-shell entries first (what a terminal would use), then the process's own, without repeats. */
export function mergePaths(...paths: (string | undefined)[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of paths) {
    for (const dir of (p ?? '').split(delimiter)) {
      if (!dir || seen.has(dir)) continue;
      seen.add(dir);
      out.push(dir);
    }
  }
  return out.join(delimiter);
}
