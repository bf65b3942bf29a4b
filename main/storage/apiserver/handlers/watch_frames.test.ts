// The frames a watch writes: one encoding per event shared by every socket, chunks framed by hand
// for the direct socket path, and the response's own framing wherever the socket is not its own
// yet. Checked against Node's HTTP parser (the client), over a real loopback connection.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, get, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { eventFrame, frameOf, frameSink, type EventFrame } from './watch_frames.js';
import type { WatchEvent } from '../../cacher/types.js';

const ev = (name: string): WatchEvent => ({ type: 'ADDED', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, resourceVersion: '7' } } });

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

/** A server whose every response streams `events` through a frameSink, in bursts as given. */
async function serve(bursts: WatchEvent[][], onSink?: (res: ServerResponse) => void): Promise<number> {
  server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    onSink?.(res);
    const sink = frameSink(res, req.method);
    for (const b of bursts) sink.write(b.map(eventFrame));
    res.end();
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

describe('watch frames', () => {
  it('frames a line as one HTTP/1.1 chunk: hex size, CRLF, the bytes, CRLF', () => {
    const json = '{"type":"ADDED","object":{"é":1}}';
    const f = frameOf(json);
    const n = Buffer.byteLength(json) + 1;
    expect(f.chunk.toString('utf8')).toBe(`${n.toString(16)}\r\n${json}\n\r\n`);
    expect(f.line.toString('utf8')).toBe(`${json}\n`);
  });

  it('encodes an event once: every watcher gets the same bytes', () => {
    const e = ev('a');
    const f: EventFrame = eventFrame(e);
    expect(eventFrame(e)).toBe(f);
    expect(JSON.parse(f.line.toString('utf8'))).toEqual({ type: 'ADDED', object: e.object });
  });

  it('writes bursts straight to the socket as chunks an HTTP client reads back line by line', async () => {
    let direct = false;
    const port = await serve([[ev('a')], [ev('b'), ev('c'), ev('d')]], (res) => {
      direct = res.socket !== null && res.chunkedEncoding;
    });
    const body = await new Promise<string>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let s = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (s += c));
        res.on('end', () => resolve(s));
      }).on('error', reject);
    });
    expect(direct).toBe(true);
    expect(body.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { object: { metadata: { name: string } } }).object.metadata.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('leaves framing to the response when its socket is still busy with an earlier pipelined response, or for HTTP/1.0', async () => {
    const ownSocket: boolean[] = [];
    const port = await serve([[ev('a'), ev('b')]], (res) => ownSocket.push(res.socket !== null && res.chunkedEncoding));
    // Two pipelined GETs and then an HTTP/1.0 one: the raw bytes must be two well-formed chunked
    // bodies, then a body without chunks.
    const raw = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.0\r\nHost: x\r\n\r\n');
      });
      let d = '';
      s.setEncoding('latin1');
      s.on('data', (c: string) => (d += c));
      s.on('end', () => resolve(d));
      s.on('error', reject);
    });
    // The first could write directly; the second was queued behind it; the third is HTTP/1.0.
    expect(ownSocket).toEqual([true, false, false]);
    const responses = raw.split('HTTP/1.1 200 OK\r\n').slice(1);
    expect(responses).toHaveLength(3);
    const lineA = eventFrame(ev('x')).line.length; // same length as a's and b's lines
    for (const r of responses.slice(0, 2)) {
      const body = r.slice(r.indexOf('\r\n\r\n') + 4);
      expect(r).toContain('Transfer-Encoding: chunked');
      expect(body).toMatch(new RegExp(`^${lineA.toString(16)}\\r\\n\\{[^\\n]*"a"[^\\n]*\\}\\n\\r\\n${lineA.toString(16)}\\r\\n\\{[^\\n]*"b"[^\\n]*\\}\\n\\r\\n0\\r\\n\\r\\n$`));
    }
    const last = responses[2]!;
    expect(last).not.toContain('Transfer-Encoding');
    expect(last.slice(last.indexOf('\r\n\r\n') + 4).split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('waits for drain with one listener per response however often it waits, and not at all once the response closed', async () => {
    // Bursts of 64 KB against a client that has not read yet: the socket reports full, the
    // writer waits, the client reads, and so on, as a lagging watch does.
    const burst = Array.from({ length: 48 }, (_, i) => ev(`n${i}`.padEnd(1200, 'x')));
    const counts: number[] = [];
    let drainAfterClose = -1;
    let afterClose: Promise<void> | undefined;
    let waits = 0;
    server = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      const socket: Socket = res.socket!;
      const base = socket.listenerCount('drain');
      const sink = frameSink(res, req.method);
      void (async () => {
        for (let i = 0; i < 20; i++) {
          if (!sink.write(burst.map(eventFrame))) {
            waits++;
            await sink.drained();
          }
          counts.push(socket.listenerCount('drain') - base);
        }
        res.end();
        res.once('close', () => {
          afterClose = sink.drained();
          drainAfterClose = socket.listenerCount('drain') - base;
        });
      })();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const names = await new Promise<string[]>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        // Read slowly at first so the server's socket fills and it has to wait.
        res.pause();
        setTimeout(() => res.resume(), 100);
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { object: { metadata: { name: string } } }).object.metadata.name.slice(0, 4).replace(/x+$/, ''))));
      }).on('error', reject);
    });
    // Every event, in order, after all those waits.
    expect(names).toEqual(Array.from({ length: 20 }, () => burst.map((_, i) => `n${i}`)).flat());
    expect(waits).toBeGreaterThan(5);
    expect(Math.max(...counts)).toBeLessThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(afterClose).toBeDefined();
    await expect(afterClose).resolves.toBeUndefined();
    // Removed when the response closed, so a keep-alive socket does not collect them.
    expect(drainAfterClose).toBe(0);
  });
});

