// Sends bytes a well-behaved HTTP client would never send (malformed request lines, bad escapes)
// over a plain or TLS socket and returns whatever comes back, for the hostile-input tests.
import net from 'node:net';
import tls from 'node:tls';

export interface RawAnswer {
  /** The status code of the first response line, or 0 when the server closed without one. */
  status: number;
  /** Everything the server sent. */
  text: string;
}

export interface RawTarget {
  port: number;
  host?: string;
  /** PEM CA to verify a TLS listener with; absent = plain TCP. */
  ca?: string;
}

/** Writes `request` verbatim, reads until the server closes or `timeoutMs` passes. */
export function rawRequest(target: RawTarget, request: string | Buffer, timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const host = target.host ?? '127.0.0.1';
    const socket = target.ca
      ? tls.connect({ host, port: target.port, ca: target.ca, servername: 'localhost' })
      : net.connect({ host, port: target.port });
    const chunks: Buffer[] = [];
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, text });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.once(target.ca ? 'secureConnect' : 'connect', () => socket.write(request));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // One response is enough: stop once its body is complete.
      const text = Buffer.concat(chunks).toString('utf8');
      const head = text.indexOf('\r\n\r\n');
      if (head < 0) return;
      const len = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, head));
      if (len && Buffer.byteLength(text) - head - 4 >= Number(len[1])) finish();
    });
    socket.on('end', finish);
    socket.on('error', (e) => (chunks.length ? finish() : reject(e)));
  });
}

/** The body of a raw answer (after the header block). */
export const rawBody = (a: RawAnswer): string => a.text.slice(a.text.indexOf('\r\n\r\n') + 4);
