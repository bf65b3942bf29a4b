// Writing answers the way kube-apiserver does: JSON bodies, Status objects for every error (with
// Retry-After when the Status says so), and list encoding that streams items in chunks so a large
// LIST never becomes one giant string in memory.
import type { ServerResponse } from 'node:http';
import { StatusError, newInternalError, isStatusError, type Status } from '../errors.js';

export function toStatusError(e: unknown): StatusError {
  if (isStatusError(e)) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return newInternalError(msg);
}

export function writeJSON(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  writeJSONCounted(res, code, body, headers);
}

/** writeJSON that returns the body's length in bytes (0 when headers were already sent). */
export function writeJSONCounted(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): number {
  if (res.headersSent) {
    res.end();
    return 0;
  }
  const text = JSON.stringify(body);
  const bytes = Buffer.byteLength(text);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Content-Length': String(bytes),
    ...headers,
  });
  res.end(text);
  return bytes;
}

export function writeStatus(res: ServerResponse, err: StatusError | Status): void {
  const status = err instanceof StatusError ? err.toStatus() : err;
  // A 410 for a compacted continue token offers a fresh token (rv -1) in the Status' metadata.
  const token = (err as { continueToken?: string }).continueToken;
  if (token) (status as { metadata: Record<string, string> }).metadata = { continue: token };
  const headers: Record<string, string> = {};
  const retry = status.details?.retryAfterSeconds;
  if (retry && retry > 0) headers['Retry-After'] = String(retry);
  writeJSON(res, status.code, status, headers);
}

export function successStatus(details?: Status['details']): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', message: '', code: 200 };
  if (details) s.details = details;
  // kube omits an empty message on Success, and the code too: it is 0 there (omitempty).
  delete (s as Partial<Status>).message;
  delete (s as Partial<Status>).code;
  return s;
}

/** Resolves once the socket can take more (after 'drain'), or when the client is gone. */
export function waitDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes and waits for drain when the kernel buffer is full, so a slow reader slows the writer. */
export async function writeChunk(res: ServerResponse, chunk: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  if (!res.write(chunk)) await waitDrain(res);
  return !res.destroyed;
}

const CHUNK_BYTES = 64 * 1024;

/**
 * Streams `{"kind":..,"apiVersion":..,"metadata":{..},"items":[...]}` with items serialized one
 * by one and flushed every ~64 KiB, waiting for 'drain' in between. Returns the bytes written
 * (fewer than the whole list when the client went away).
 */
export async function streamList(
  res: ServerResponse,
  head: { kind: string; apiVersion: string; metadata: Record<string, unknown> },
  items: Iterable<unknown>,
  contentType = 'application/json',
): Promise<number> {
  res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private' });
  let buf = `{"kind":${JSON.stringify(head.kind)},"apiVersion":${JSON.stringify(head.apiVersion)},"metadata":${JSON.stringify(head.metadata)},"items":[`;
  let first = true;
  let written = 0;
  for (const it of items) {
    buf += (first ? '' : ',') + JSON.stringify(it);
    first = false;
    if (buf.length >= CHUNK_BYTES) {
      written += Buffer.byteLength(buf);
      if (!(await writeChunk(res, buf))) return written;
      buf = '';
    }
  }
  buf += ']}';
  res.end(buf);
  return written + Buffer.byteLength(buf);
}
