// Reading an audit log file as a stream of lines with memory bounded by the chunk size and the
// longest accepted line, whatever the file size: plain JSON lines, gzip (by its magic bytes, as
// rotated and exported logs are), and a file still being written, followed like `tail -F`: new
// bytes are read as they arrive, and when the path is rotated (a new inode) or truncated, the old
// file is read to its end before the new one is read from its start.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { basename } from 'node:path';
import type { BadInputKind } from './event.js';

/** Where lines go: AuditIngest, or anything else that reads a log (the version probe). */
export interface AuditLineSink {
  line(text: string, where: string): void;
  /**
   * The same line as bytes [start, end) of `buf`, valid during the call only, named `label:lineNo`;
   * preferred when present, so a sink that scans bytes never decodes what it does not read.
   */
  lineBytes?(buf: Buffer, start: number, end: number, label: string, lineNo: number): void;
  badInput(kind: BadInputKind, where: string, message: string): void;
}

export interface ReadAuditFileOptions {
  /** Keep reading as the file grows and across rotation, until the signal aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  /** Longer lines are skipped and counted (default 4 MiB; a Request-level event is rarely above 64 KiB). */
  maxLineBytes?: number;
  /** How often a followed file is checked for growth and rotation (default 250 ms). */
  pollMs?: number;
  chunkBytes?: number;
}

/**
 * Splits byte chunks into lines; a line longer than the cap is dropped, never accumulated. A line
 * inside one chunk is handed on as a range of that chunk, not copied.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private overlong = false;
  lineNo = 0;

  constructor(
    private readonly maxLineBytes: number,
    private readonly emit: (buf: Buffer, start: number, end: number, lineNo: number) => void,
    private readonly tooLong: (lineNo: number, bytes: number) => void,
  ) {}

  push(buf: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      this.lineNo++;
      if (this.overlong || this.pendingBytes + nl - start > this.maxLineBytes) {
        this.tooLong(this.lineNo, this.pendingBytes + nl - start);
        this.overlong = false;
        this.pending = [];
        this.pendingBytes = 0;
      } else if (this.pending.length === 0) {
        this.emit(buf, start, nl, this.lineNo);
      } else {
        this.pending.push(buf.subarray(start, nl));
        const line = Buffer.concat(this.pending);
        this.pending = [];
        this.pendingBytes = 0;
        this.emit(line, 0, line.length, this.lineNo);
      }
      start = nl + 1;
    }
    if (start < buf.length) {
      const rest = buf.length - start;
      if (this.overlong || this.pendingBytes + rest > this.maxLineBytes) {
        this.overlong = true;
        this.pending = [];
        this.pendingBytes += rest;
      } else {
        // Copy: the caller may reuse its read buffer.
        this.pending.push(Buffer.from(buf.subarray(start)));
        this.pendingBytes += rest;
      }
    }
  }

  /** The last line, when the input does not end with a newline. */
  end(): void {
    if (this.pendingBytes === 0) return;
    this.push(Buffer.from('\n'));
  }

  /** Drops a partial last line (the input was cut off mid-line). */
  discard(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.overlong = false;
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((res) => {
    const onAbort = () => (clearTimeout(t), res());
    const t = setTimeout(() => (signal?.removeEventListener('abort', onAbort), res()), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Reads (and with `follow`, keeps reading) one audit log file into the ingest. Never throws for bad content. */
export async function readAuditFile(path: string, ingest: AuditLineSink, opts: ReadAuditFileOptions = {}): Promise<void> {
  const name = basename(path);
  const maxLine = opts.maxLineBytes ?? 4 * 1024 * 1024;
  const splitter = (label: string) =>
    new LineSplitter(
      maxLine,
      ingest.lineBytes
        ? (buf, start, end, n) => ingest.lineBytes!(buf, start, end, label, n)
        : (buf, start, end, n) => ingest.line(buf.toString('utf8', start, end), `${label}:${n}`),
      (n, bytes) => ingest.badInput('lineTooLong', `${label}:${n}`, `${bytes} bytes (limit ${maxLine})`),
    );
  let gz: boolean;
  try {
    gz = await isGzip(path);
  } catch (e) {
    if (!opts.follow) {
      ingest.badInput('unreadable', name, (e as Error).message);
      return;
    }
    gz = false;
  }
  if (gz) return readGzip(path, name, ingest, splitter(name), opts);
  return readPlain(path, name, ingest, splitter, opts);
}

async function readGzip(path: string, name: string, ingest: AuditLineSink, lines: LineSplitter, opts: ReadAuditFileOptions): Promise<void> {
  const source = createReadStream(path, { highWaterMark: opts.chunkBytes ?? 1 << 20 });
  const gunzip = createGunzip({ chunkSize: 1 << 18 });
  source.pipe(gunzip);
  source.on('error', (e) => gunzip.destroy(e));
  try {
    for await (const chunk of gunzip) {
      if (opts.signal?.aborted) break;
      lines.push(chunk as Buffer);
    }
    lines.end();
  } catch (e) {
    lines.discard();
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message)) {
      ingest.badInput('truncatedGzip', `${name} after line ${lines.lineNo}`, err.message);
    } else {
      ingest.badInput('unreadable', name, err.message);
    }
  } finally {
    source.destroy();
  }
}

async function readPlain(path: string, name: string, ingest: AuditLineSink, splitter: (label: string) => LineSplitter, opts: ReadAuditFileOptions): Promise<void> {
  const buf = Buffer.alloc(opts.chunkBytes ?? 1 << 20);
  const pollMs = opts.pollMs ?? 250;
  let generation = 0;
  let fh: FileHandle | undefined;
  let ino = -1;
  let pos = 0;
  let lines = splitter(name);

  const openCurrent = async (): Promise<boolean> => {
    try {
      fh = await open(path, 'r');
      ino = (await fh.stat()).ino;
      pos = 0;
      lines = splitter(generation === 0 ? name : `${name} (rotated ${generation})`);
      return true;
    } catch (e) {
      if (!opts.follow) ingest.badInput('unreadable', name, (e as Error).message);
      return false;
    }
  };
  const drain = async (): Promise<void> => {
    for (;;) {
      const { bytesRead } = await fh!.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      lines.push(buf.subarray(0, bytesRead));
      if (opts.signal?.aborted) return;
    }
  };

  try {
    if (!(await openCurrent()) && !opts.follow) return;
    for (;;) {
      if (fh) await drain();
      if (!opts.follow || opts.signal?.aborted) break;
      await sleep(pollMs, opts.signal);
      if (opts.signal?.aborted) {
        if (fh) await drain();
        break;
      }
      const now = await stat(path).catch(() => undefined);
      if (!fh) {
        if (now) await openCurrent();
        continue;
      }
      if (!now) continue; // rotated away, the new file not created yet: keep the old one
      if (now.ino !== ino || now.size < pos) {
        // Rotation or truncation: finish what the old file holds, then start the new one.
        await drain();
        lines.end();
        await fh.close();
        fh = undefined;
        generation++;
        await openCurrent();
      }
    }
    lines.end();
  } finally {
    await fh?.close();
  }
}
