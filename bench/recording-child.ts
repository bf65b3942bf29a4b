// Opens a recording in a fresh process (so its RSS is the replay's alone), seeks to random
// moments and reports the times and memory to the parent bench.
import { ReplayService } from '../main/recording/replay.js';
import { mulberry32 } from '../main/util/prng.js';

const file = process.argv[2]!;
const rssBefore = process.memoryUsage().rss;
const openMs: number[] = [];
let replay: ReplayService | undefined;
for (let i = 0; i < 3; i++) {
  await replay?.close();
  const t = performance.now();
  replay = new ReplayService(file);
  openMs.push(performance.now() - t);
}
const r = replay!;
const { start, end } = r.status();
const rnd = mulberry32(9);
const seekMs: number[] = [];
for (let i = 0; i < 30; i++) {
  const at = start + rnd() * (end - start);
  const t = performance.now();
  await r.replayControl({ seek: at });
  r.snapshot();
  seekMs.push(performance.now() - t);
}
const rssAfter = process.memoryUsage().rss;
process.send!({ openMs, seekMs, rssBefore, rssAfter, segments: r.reader.segments.length, durationMs: end - start });
await r.close();
