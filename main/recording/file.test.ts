// The file format on its own: segments, flushed chunks, the size limit both ways, and a file cut
// at any byte still opening up to its last complete record.
import { describe, expect, it, afterAll } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { RecordingWriter } from './writer.js';
import { RecordingReader } from './reader.js';
import { FORMAT_NAME, FORMAT_VERSION, type HeaderRecord, type RecordLine } from './format.js';
import { mulberry32 } from '../util/prng.js';

const dir = mkdtempSync(join(tmpdir(), 'wsrec-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function header(seq: number, t: number): HeaderRecord {
  return {
    k: 'header',
    t,
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    watchscope: 'test',
    startedAt: 1000,
    segment: seq,
    profile: '1.34',
    source: { mode: 'demo', target: 'demo' },
    resources: ['pods'],
    values: false,
    limit: { bytes: 1, onLimit: 'stop' },
  };
}

/** Writes `n` progress records, one per clock ms, flushing every 10; returns the file. */
function write(name: string, n: number, opts: { maxBytes?: number; onLimit?: 'stop' | 'dropOldest'; segmentMs?: number; noClose?: boolean } = {}) {
  const file = join(dir, name);
  let now = 1000;
  const rnd = mulberry32(7);
  const w = new RecordingWriter({
    file,
    maxBytes: opts.maxBytes ?? 1 << 30,
    onLimit: opts.onLimit ?? 'stop',
    segmentMs: opts.segmentMs ?? 500,
    clock: () => now,
    segmentStart: (seq, t) => [header(seq, t)],
  });
  for (let i = 0; i < n; i++) {
    now++;
    // Random padding keeps the data from compressing to nothing.
    w.append({ k: 'progress', t: now, prefix: `/registry/pods/${Math.floor(rnd() * 1e9).toString(36)}`, rv: i + 1 });
    if (i % 10 === 9) w.flush();
  }
  if (!opts.noClose) w.close({ k: 'end', t: now, reason: 'test' });
  return { file, writer: w };
}

function allRecords(r: RecordingReader): RecordLine[] {
  const out: RecordLine[] = [];
  for (let i = 0; i < r.segments.length; i++) out.push(...r.readSegment(i).records);
  return out;
}

const progressRvs = (rs: RecordLine[]) => rs.flatMap((r) => (r.k === 'progress' ? [r.rv] : []));

describe('recording file', () => {
  it('writes independently decodable segments found by scanning, readable by plain gunzip too', () => {
    const { file } = write('plain.wsrec.gz', 3000);
    const r = RecordingReader.open(file);
    expect(r.segments.length).toBe(7); // 500 ms segments over 3000 ms, the last one holding the end record
    expect(r.segments.map((s) => s.seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(r.ended).toBe(true);
    expect(r.header.format).toBe(FORMAT_NAME);
    expect(progressRvs(allRecords(r))).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    // Every segment starts with its own header line.
    for (let i = 0; i < r.segments.length; i++) expect(r.readSegment(i).records[0]!.k).toBe('header');
    // Seeking: the segment holding a time.
    expect(r.segmentAt(r.segments[3]!.startTime + 1)).toBe(3);
    r.close();
    // A multi-member gzip file: every line, in order, with standard tools.
    const lines = gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n');
    expect(lines.length).toBe(3000 + 7 + 1);
  });

  it('a file cut at random bytes opens up to its last complete record', () => {
    const { file } = write('cut.wsrec.gz', 3000);
    const size = statSync(file).size;
    const rnd = mulberry32(42);
    for (let trial = 0; trial < 25; trial++) {
      const at = 40 + Math.floor(rnd() * (size - 40));
      const cut = join(dir, `cut-${trial}.wsrec.gz`);
      copyFileSync(file, cut);
      truncateSync(cut, at);
      const r = RecordingReader.open(cut);
      const rvs = progressRvs(allRecords(r));
      // A prefix of what was written, with nothing invented or reordered.
      expect(rvs).toEqual(Array.from({ length: rvs.length }, (_, i) => i + 1));
      // Only the chunk being cut (10 records) and the segment opening lost at most.
      const fraction = at / size;
      expect(rvs.length).toBeGreaterThan(Math.floor(3000 * fraction) - 40);
      expect(r.ended).toBe(false);
      r.close();
    }
  });

  it('a writer killed mid-segment (never closed) leaves a file that opens', () => {
    const { file } = write('killed.wsrec.gz', 1234, { noClose: true });
    const r = RecordingReader.open(file);
    // Records up to the last flush (every 10th) are there.
    expect(progressRvs(allRecords(r)).length).toBe(1230);
    expect(r.lastSegmentComplete).toBe(false);
    r.close();
  });

  it('dropOldest keeps the file under its limit and the newest records', () => {
    const max = 64 << 10;
    const { file, writer } = write('drop.wsrec.gz', 20_000, { maxBytes: max, onLimit: 'dropOldest', segmentMs: 1e9 });
    const st = writer.status();
    expect(st.droppedSegments).toBeGreaterThan(0);
    expect(statSync(file).size).toBeLessThanOrEqual(max);
    const r = RecordingReader.open(file);
    const rvs = progressRvs(allRecords(r));
    expect(rvs[rvs.length - 1]).toBe(20_000);
    expect(rvs).toEqual(Array.from({ length: rvs.length }, (_, i) => 20_000 - rvs.length + i + 1));
    // The first remaining segment is not segment 0: the gap says segments were dropped.
    expect(r.segments[0]!.seq).toBe(st.droppedSegments);
    expect(r.header.segment).toBe(st.droppedSegments);
    r.close();
  });

  it('stop ends the recording at the limit and says so', () => {
    const max = 64 << 10;
    const { file, writer } = write('stop.wsrec.gz', 20_000, { maxBytes: max, onLimit: 'stop', segmentMs: 1e9 });
    expect(writer.status().state).toBe('limitReached');
    expect(statSync(file).size).toBeLessThanOrEqual(max);
    const r = RecordingReader.open(file);
    const rvs = progressRvs(allRecords(r));
    expect(rvs[0]).toBe(1);
    expect(rvs.length).toBeLessThan(20_000);
    r.close();
  });

  it('refuses a file that is not a recording, in one sentence', () => {
    const f = join(dir, 'not.gz');
    writeFileSync(f, 'hello');
    expect(() => RecordingReader.open(f)).toThrow(/is not a watchscope recording/);
  });
});
