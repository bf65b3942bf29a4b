import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUiSessions, runtimeDir, writeUiSessionFile } from './ui-session-file.js';

describe('the session file `watchscope open` reads', () => {
  let base: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'watchscope-runtime-'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('lives in a 0700 folder of $XDG_RUNTIME_DIR and is written 0600', () => {
    const dir = runtimeDir({ XDG_RUNTIME_DIR: base });
    expect(dir).toBe(join(base, 'watchscope'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const file = writeUiSessionFile({ pid: process.pid, origin: 'http://127.0.0.1:1', controlToken: 't' }, dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(findUiSessions(dir)).toEqual([{ pid: process.pid, origin: 'http://127.0.0.1:1', controlToken: 't' }]);
    rmSync(file);
  });

  it('refuses a folder others can enter, or a symlink in its place', () => {
    const open = join(base, 'open');
    mkdirSync(join(open, 'watchscope'), { recursive: true });
    chmodSync(join(open, 'watchscope'), 0o755);
    expect(() => runtimeDir({ XDG_RUNTIME_DIR: open })).toThrow(/is open to other users \(mode 755\): chmod 700 it$/);
    const linked = join(base, 'linked');
    mkdirSync(linked);
    symlinkSync(base, join(linked, 'watchscope'));
    expect(() => runtimeDir({ XDG_RUNTIME_DIR: linked })).toThrow(/is not a directory \(a symlink\?\)/);
  });

  it('never writes through a symlink planted at its name', () => {
    const dir = runtimeDir({ XDG_RUNTIME_DIR: join(base, 'plant') });
    const target = join(base, 'victim.txt');
    writeFileSync(target, 'untouched');
    symlinkSync(target, join(dir, `ui-${process.pid}.json`));
    writeUiSessionFile({ pid: process.pid, origin: 'http://127.0.0.1:1', controlToken: 't' }, dir);
    expect(spawnSync('cat', [target]).stdout.toString()).toBe('untouched');
    expect(statSync(join(dir, `ui-${process.pid}.json`)).isFile()).toBe(true);
  });

  it('forgets the files of processes that are gone', () => {
    const dir = runtimeDir({ XDG_RUNTIME_DIR: join(base, 'stale') });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(dir, `ui-${dead}.json`), JSON.stringify({ pid: Number(dead), origin: 'http://127.0.0.1:1', controlToken: 'x' }), { mode: 0o600 });
    expect(findUiSessions(dir)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });
});
