// The bench's hand-written watch response reader, on byte streams shaped as both servers send them
// (Go's chunked writer, one event per chunk; Node's, with chunks that end mid-line), fed in every
// split: whatever the pieces, the same lines come out. The smoke test (side-by-side.test.ts) reads
// the real kube-apiserver v1.36 and watchscope with it.
import { describe, expect, it } from 'vitest';
import { isBookmark, readStamp, WatchResponseParser, WatchStreamError } from './side-watch-stream.js';

const event = (type: string, stamp: string) => `{"type":"${type}","object":{"kind":"ConfigMap","data":{"payload":"xxxx","stamp":"${stamp}"}}}\n`;
const bookmark = '{"type":"BOOKMARK","object":{"kind":"ConfigMap","metadata":{"resourceVersion":"42"}}}\n';
const lines = [event('ADDED', '1733250000000.125'), bookmark, event('MODIFIED', '1733250000001.5'), event('DELETED', '1733250000002')];
const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
const head = (extra: string) => `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n${extra}\r\n`;

/** Feeds `bytes` in pieces cut at `cuts` and returns the lines seen and the parser. */
function feed(bytes: Buffer, cuts: number[]): { seen: string[]; p: WatchResponseParser } {
  const seen: string[] = [];
  const p = new WatchResponseParser({ line: (l) => seen.push(l.toString('latin1')) });
  let from = 0;
  for (const c of [...cuts, bytes.length]) {
    p.push(bytes.subarray(from, c));
    from = c;
  }
  return { seen, p };
}

/** Every cut into two pieces, and a spread of cuts into three. */
function everySplit(bytes: Buffer, check: (seen: string[], p: WatchResponseParser) => void): void {
  const cuts: number[][] = [];
  for (let a = 0; a <= bytes.length; a++) cuts.push([a]);
  for (let a = 0; a < bytes.length; a += 7) for (let b = a; b <= bytes.length; b += 5) cuts.push([a, b]);
  for (const c of cuts) {
    const { seen, p } = feed(bytes, c);
    check(seen, p);
  }
}

describe('WatchResponseParser', () => {
  const expected = lines.map((l) => l.slice(0, -1));

  it('reads one event per chunk, ended by the terminating chunk, in any split', () => {
    const bytes = Buffer.from(head('Transfer-Encoding: chunked\r\n') + lines.map(chunk).join('') + '0\r\n\r\n');
    everySplit(bytes, (seen, p) => {
      expect(p.status).toBe(200);
      expect(seen).toEqual(expected);
      expect(p.ended).toBe(true);
    });
  });

  it('reads chunks that end mid-line and carry several lines, with chunk extensions and trailers', () => {
    const body = lines.join('');
    const chunks = [body.slice(0, 30), body.slice(30, 31), body.slice(31, 200), body.slice(200)].map(chunk);
    chunks[1] = chunks[1]!.replace('\r\n', ';ext=1\r\n');
    const bytes = Buffer.from(head('Transfer-Encoding: chunked\r\n') + chunks.join('') + '0\r\nX-Trailer: 1\r\n\r\n');
    everySplit(bytes, (seen, p) => {
      expect(seen).toEqual(expected);
      expect(p.ended).toBe(true);
    });
  });

  it('does not end a watch the server is still sending', () => {
    const bytes = Buffer.from(head('Transfer-Encoding: chunked\r\n') + lines.map(chunk).join(''));
    const { seen, p } = feed(bytes, [50]);
    expect(seen).toEqual(expected);
    expect(p.ended).toBe(false);
  });

  it('reads a body of known length, and one that runs until the connection closes', () => {
    const body = lines.join('');
    everySplit(Buffer.from(head(`Content-Length: ${Buffer.byteLength(body)}\r\n`) + body), (seen, p) => {
      expect(seen).toEqual(expected);
      expect(p.ended).toBe(true);
    });
    const { seen, p } = feed(Buffer.from(head('') + body), [77]);
    expect(seen).toEqual(expected);
    expect(p.ended).toBe(false);
    p.close();
    expect(p.ended).toBe(true);
  });

  it('gives the status of a refused watch', () => {
    const body = '{"kind":"Status","code":401}';
    const { p } = feed(Buffer.from(`HTTP/1.1 401 Unauthorized\r\nContent-Length: ${body.length}\r\n\r\n${body}`), []);
    expect(p.status).toBe(401);
  });

  it('rejects what is not a chunked HTTP/1.x response', () => {
    expect(() => feed(Buffer.from('SSH-2.0-x\r\n\r\n'), [])).toThrow(WatchStreamError);
    expect(() => feed(Buffer.from(head('Transfer-Encoding: chunked\r\n') + 'zz\r\n'), [])).toThrow(WatchStreamError);
    expect(() => feed(Buffer.from(head('Transfer-Encoding: chunked\r\n') + '3\r\nabcX'), [])).toThrow(WatchStreamError);
  });
});

describe('readStamp and isBookmark', () => {
  it('reads the writer stamp from the bytes', () => {
    expect(readStamp(Buffer.from(event('ADDED', '1733250000000.125')))).toBe(1733250000000.125);
    expect(readStamp(Buffer.from(event('ADDED', '1733250000002')))).toBe(1733250000002);
    expect(readStamp(Buffer.from(bookmark))).toBeNaN();
    expect(readStamp(Buffer.from('{"stamp":"12x"}'))).toBeNaN();
    expect(readStamp(Buffer.from('{"stamp":"12'))).toBeNaN();
  });
  it('tells a bookmark from an event', () => {
    expect(isBookmark(Buffer.from(bookmark))).toBe(true);
    expect(isBookmark(Buffer.from(event('MODIFIED', '1')))).toBe(false);
  });
});
