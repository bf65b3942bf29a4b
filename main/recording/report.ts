// A one-file HTML report of a recording: summary, decisions by reason, clients, freshness charts
// (inline SVG, so they draw in any browser without scripts) and closed watchers. Built in one
// pass over the segments with bounded aggregates; it holds only what the recording holds (no
// credentials, and object values never, even when they were recorded).
import { basename } from 'node:path';
import type { Decision, WatcherInfo } from '../../shared/model.js';
import { cacheKey } from '../telemetry/freshness.js';
import { RecordingReader } from './reader.js';

const CHART_BUCKETS = 600;
const MAX_CLIENTS = 200;
const MAX_CLOSED = 500;

interface Point {
  t: number;
  source: number;
  cache: number;
  lagMs: number;
}

export interface ReportData {
  file: string;
  of: string;
  recordedWith: string;
  start: number;
  end: number;
  cut: boolean;
  droppedSegments: number;
  valuesRecorded: boolean;
  profiles: string[];
  resources: string[];
  counts: { events: number; decisions: number; watchersOpened: number; watchersClosed: number; forceClosed: number };
  byReason: { reason: string; servedBy: string; count: number }[];
  clients: { userAgent: string; requests: number; cache: number; etcd: number; rejected: number; watches: number }[];
  clientsOmitted: number;
  freshness: Record<string, Point[]>;
  closed: WatcherInfo[];
  closedOmitted: number;
}

/** Strips the per-request tag the console adds ("agent [id]"), so a client is one row. */
const clientOf = (ua: string) => ua.replace(/ \[[0-9a-f]{8}\]$/, '');

export function collectReport(file: string): ReportData {
  const r = RecordingReader.open(file);
  try {
    const h = r.header;
    const bucketMs = Math.max(1, (r.endTime - r.startTime) / CHART_BUCKETS);
    const buckets = new Map<string, Map<number, Point>>();
    const reasons = new Map<string, number>();
    const clients = new Map<string, ReportData['clients'][number]>();
    let clientsOmitted = 0;
    const closed: WatcherInfo[] = [];
    let closedOmitted = 0;
    const closedSeen = new Set<string>();
    const openedSeen = new Set<string>();
    const profiles = new Set<string>();
    let events = 0;
    let decisions = 0;
    let forceClosed = 0;
    let lastDecision = 0;
    const onDecision = (d: Decision) => {
      decisions++;
      profiles.add(d.profile);
      const k = `${d.reason}\u0000${d.servedBy}`;
      reasons.set(k, (reasons.get(k) ?? 0) + 1);
      const ua = clientOf(d.userAgent);
      let c = clients.get(ua);
      if (!c) {
        if (clients.size >= MAX_CLIENTS) {
          clientsOmitted++;
          return;
        }
        c = { userAgent: ua, requests: 0, cache: 0, etcd: 0, rejected: 0, watches: 0 };
        clients.set(ua, c);
      }
      c.requests++;
      c[d.servedBy]++;
      if (d.verb === 'watch' || d.query.watch === 'true') c.watches++;
    };
    for (let i = 0; i < r.segments.length; i++) {
      for (const rec of r.readSegment(i).records) {
        switch (rec.k) {
          case 'event':
            events++;
            break;
          case 'decision':
            if (rec.d.id > lastDecision) {
              lastDecision = rec.d.id;
              onDecision(rec.d);
            }
            break;
          case 'opened':
            openedSeen.add(`${rec.watcher.resource}|${rec.watcher.replica ?? ''}|${rec.watcher.id}|${rec.watcher.createdAt}`);
            break;
          case 'closed': {
            const k = `${rec.watcher.resource}|${rec.watcher.replica ?? ''}|${rec.watcher.id}|${rec.watcher.createdAt}`;
            if (closedSeen.has(k)) break;
            closedSeen.add(k);
            if (rec.watcher.closeReason === 'bufferFull') forceClosed++;
            if (closed.length < MAX_CLOSED) closed.push(rec.watcher);
            else closedOmitted++;
            break;
          }
          case 'tick':
            profiles.add(rec.profile);
            for (const c of rec.caches) {
              const key = cacheKey(c);
              let m = buckets.get(key);
              if (!m) buckets.set(key, (m = new Map()));
              const b = Math.min(CHART_BUCKETS - 1, Math.floor((rec.t - r.startTime) / bucketMs));
              const prev = m.get(b);
              // Keep the worst lag of each bucket, so a spike is never averaged away.
              if (!prev || c.lagMs >= prev.lagMs) m.set(b, { t: rec.t, source: c.sourceRevision, cache: c.resourceVersion, lagMs: c.lagMs });
            }
            break;
          default:
            break;
        }
      }
    }
    const freshness: Record<string, Point[]> = {};
    for (const [k, m] of buckets) freshness[k] = [...m.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
    const s = h.source;
    return {
      file: basename(file),
      of: [s.mode, s.mode === 'demo' ? undefined : s.target, s.version ? (s.mode === 'kube' ? s.version : `etcd ${s.version}`) : undefined].filter(Boolean).join(' · '),
      recordedWith: `watchscope ${h.watchscope}`,
      start: r.startTime,
      end: r.endTime,
      cut: !r.ended,
      droppedSegments: r.segments[0]!.seq,
      valuesRecorded: h.values,
      profiles: [...profiles],
      resources: h.resources,
      counts: { events, decisions, watchersOpened: openedSeen.size, watchersClosed: closedSeen.size, forceClosed },
      byReason: [...reasons.entries()].map(([k, count]) => ({ reason: k.split('\u0000')[0]!, servedBy: k.split('\u0000')[1]!, count })).sort((a, b) => b.count - a.count),
      clients: [...clients.values()].sort((a, b) => b.requests - a.requests),
      clientsOmitted,
      freshness,
      closed,
      closedOmitted,
    };
  } finally {
    r.close();
  }
}

const esc = (v: unknown) =>
  String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const iso = (t: number) => new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

/** One line chart as SVG: series share the x axis (time) and y axis (their own min..max). */
function svgChart(title: string, start: number, end: number, series: { name: string; colour: string; points: [number, number][] }[], unit: string): string {
  const W = 900;
  const H = 220;
  const L = 70;
  const B = 24;
  const all = series.flatMap((s) => s.points.map((p) => p[1]));
  if (all.length === 0) return '';
  const lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi === lo) hi = lo + 1;
  const span = Math.max(1, end - start);
  const x = (t: number) => L + ((t - start) / span) * (W - L - 10);
  const y = (v: number) => H - B - ((v - lo) / (hi - lo)) * (H - B - 10);
  const lines = series
    .filter((s) => s.points.length)
    .map((s) => `<polyline data-series="${esc(s.name)}" fill="none" stroke="${s.colour}" stroke-width="1.5" points="${s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`)
    .join('');
  const legend = series.map((s, i) => `<text x="${L + 10 + i * 180}" y="14" fill="${s.colour}" font-size="12">■ ${esc(s.name)}</text>`).join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">
<rect x="${L}" y="10" width="${W - L - 10}" height="${H - B - 10}" fill="none" stroke="#ccc"/>
<text x="${L - 6}" y="${y(hi) + 4}" text-anchor="end" font-size="11">${esc(Math.round(hi))}${unit}</text>
<text x="${L - 6}" y="${y(lo) + 4}" text-anchor="end" font-size="11">${esc(Math.round(lo))}${unit}</text>
<text x="${L}" y="${H - 6}" font-size="11">${esc(iso(start))}</text>
<text x="${W - 10}" y="${H - 6}" text-anchor="end" font-size="11">${esc(iso(end))}</text>
${lines}${legend}</svg></figure>`;
}

export function renderReport(d: ReportData): string {
  const rows = (cells: unknown[][]) => cells.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  const charts = Object.entries(d.freshness)
    .map(([k, pts]) =>
      [
        svgChart(`${k}: etcd revision vs cache resourceVersion`, d.start, d.end, [
          { name: 'etcd revision', colour: '#2f6feb', points: pts.map((p) => [p.t, p.source]) },
          { name: 'cache resourceVersion', colour: '#1f9d55', points: pts.map((p) => [p.t, p.cache]) },
        ], ''),
        svgChart(`${k}: lag (worst per interval)`, d.start, d.end, [{ name: 'lag ms', colour: '#d97706', points: pts.map((p) => [p.t, p.lagMs]) }], ' ms'),
      ].join('\n'),
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>watchscope report: ${esc(d.file)}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 24px; color: #1d2330; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #d9dde3; padding: 4px 8px; text-align: left; }
th { background: #f0f2f5; } td:nth-child(n+2) { font-variant-numeric: tabular-nums; }
figure { margin: 12px 0; } figcaption { font-weight: 600; margin-bottom: 4px; }
.note { color: #d97706; }
</style></head><body>
<h1>watchscope report: ${esc(d.file)}</h1>
<section id="summary"><h2>Summary</h2><table>
${rows([
  ['recording of', d.of],
  ['recorded with', d.recordedWith],
  ['from', iso(d.start)],
  ['to', iso(d.end)],
  ['duration', `${Math.round((d.end - d.start) / 1000)} s`],
  ['profiles', d.profiles.join(', ')],
  ['resources', d.resources.join(', ')],
  ['object values', d.valuesRecorded ? 'recorded, but not part of this report' : 'not recorded'],
  ['etcd events ingested', d.counts.events],
  ['requests', d.counts.decisions],
  ['watchers opened / closed', `${d.counts.watchersOpened} / ${d.counts.watchersClosed}`],
  ['force-closed (bufferFull)', d.counts.forceClosed],
])}
</table>
${d.cut ? '<p class="note">The recording was cut short (crash, kill -9 or a truncated copy): this report covers it up to its last complete record.</p>' : ''}
${d.droppedSegments ? `<p class="note">${d.droppedSegments} oldest segments were dropped at the size limit.</p>` : ''}
</section>
<section id="reasons"><h2>Decisions by reason</h2><table><tr><th>reason</th><th>served by</th><th>requests</th></tr>
${rows(d.byReason.map((r) => [r.reason, r.servedBy, r.count]))}
</table></section>
<section id="clients"><h2>Clients</h2><table><tr><th>user agent</th><th>requests</th><th>cache</th><th>etcd</th><th>rejected</th><th>watches</th></tr>
${rows(d.clients.map((c) => [c.userAgent, c.requests, c.cache, c.etcd, c.rejected, c.watches]))}
</table>${d.clientsOmitted ? `<p>${d.clientsOmitted} requests from further clients are not listed.</p>` : ''}</section>
<section id="freshness"><h2>Freshness</h2>
${charts || '<p>No freshness samples in this recording.</p>'}
</section>
<section id="closed"><h2>Closed watchers</h2><table><tr><th>resource</th><th>client</th><th>selectors</th><th>opened</th><th>closed</th><th>reason</th><th>message</th><th>events sent</th></tr>
${rows(d.closed.map((w) => [w.resource, w.userAgent, [w.labelSelector, w.fieldSelector].filter(Boolean).join(' ') || 'everything', iso(w.createdAt), w.closedAt ? iso(w.closedAt) : '', w.closeReason ?? '', w.closeMessage ?? '', w.eventsSent]))}
</table>${d.closedOmitted ? `<p>${d.closedOmitted} further closed watchers are not listed.</p>` : ''}</section>
</body></html>
`;
}

/** The report of one recording, with the download name the UI offers ("<recording>.report.html"). */
export function reportOf(file: string): { fileName: string; html: string } {
  const name = basename(file).replace(/\.gz$/, '').replace(/\.wsrec$/, '');
  return { fileName: `${name}.report.html`, html: renderReport(collectReport(file)) };
}
