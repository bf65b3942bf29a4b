// How `watchscope open` finds a running web UI and proves it is the same user. A process serving
// the UI writes <runtime dir>/ui-<pid>.json, mode 0600, in a directory only the user can enter
// (0700, owned by them, not a symlink: checked, not assumed, because under /tmp another user could
// have made it first). The file holds the UI's origin and a control token; whoever can read it may
// ask that process for a fresh one-time link (web.ts CONTROL_LINK_PATH). The UI's own link tokens
// stay single-use and never touch the disk.
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import http from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { CONTROL_LINK_PATH } from './web.js';

export interface UiSessionRecord {
  pid: number;
  /** http://127.0.0.1:PORT */
  origin: string;
  controlToken: string;
}

const FILE_RE = /^ui-(\d+)\.json$/;

/** $XDG_RUNTIME_DIR/watchscope, else a per-user folder in the temp dir; created 0700 and checked. */
export function runtimeDir(env: Record<string, string | undefined> = process.env): string {
  const uid = process.getuid?.();
  const xdg = env['XDG_RUNTIME_DIR'];
  const dir =
    xdg && isAbsolute(xdg) ? join(xdg, 'watchscope') : uid === undefined ? join(homedir(), '.watchscope', 'run') : join(tmpdir(), `watchscope-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory (a symlink?): remove it`);
  if (uid !== undefined && st.uid !== uid) throw new Error(`${dir} belongs to another user: remove it or set XDG_RUNTIME_DIR`);
  if (uid !== undefined && (st.mode & 0o077) !== 0) throw new Error(`${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)}): chmod 700 it`);
  return dir;
}

/** Writes this process's record (0600, never through an existing file or symlink); returns its path. */
export function writeUiSessionFile(rec: UiSessionRecord, dir = runtimeDir()): string {
  const file = join(dir, `ui-${rec.pid}.json`);
  // A file left by a dead process with our (reused) pid.
  try {
    unlinkSync(file);
  } catch {
    /* none */
  }
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(rec));
  } finally {
    closeSync(fd);
  }
  return file;
}

export function removeUiSessionFile(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running UIs of this user; files of processes that died without cleaning up are removed. */
export function findUiSessions(dir = runtimeDir()): UiSessionRecord[] {
  const out: UiSessionRecord[] = [];
  for (const name of readdirSync(dir)) {
    const m = FILE_RE.exec(name);
    if (!m) continue;
    const file = join(dir, name);
    if (!alive(Number(m[1]))) {
      removeUiSessionFile(file);
      continue;
    }
    try {
      const rec = JSON.parse(readFileSync(file, 'utf8')) as UiSessionRecord;
      if (rec.pid === Number(m[1]) && typeof rec.origin === 'string' && typeof rec.controlToken === 'string') out.push(rec);
    } catch {
      /* being written, or not ours to judge */
    }
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/** Asks the running UI for a fresh one-time link. */
export function requestFreshLink(rec: UiSessionRecord, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(CONTROL_LINK_PATH, rec.origin),
      { method: 'POST', headers: { authorization: `Bearer ${rec.controlToken}` }, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`the watchscope UI at ${rec.origin} (pid ${rec.pid}) answered ${res.statusCode}: ${body.trim()}`));
          try {
            resolve((JSON.parse(body) as { url: string }).url);
          } catch {
            reject(new Error(`the watchscope UI at ${rec.origin} (pid ${rec.pid}) sent an unreadable answer`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`the watchscope UI at ${rec.origin} (pid ${rec.pid}) did not answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(e.message.startsWith('the watchscope UI') ? e : new Error(`cannot reach the watchscope UI at ${rec.origin} (pid ${rec.pid}): ${e.message}`)));
    req.end();
  });
}
