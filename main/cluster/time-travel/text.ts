// A time-travel result as the CLI prints it: the servers seen, one line per attempt, the objects
// that differ under the attempts that came from behind, and what could not be known.
import type { TimeTravelAnswer, TimeTravelExample, TimeTravelResult } from '../../../shared/time-travel.js';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function describeCounts(a: TimeTravelAnswer): string {
  const c = a.counts;
  if (!c) return '';
  const parts = [
    c.missing ? `${c.missing} missing` : '',
    c.extra ? `${c.extra} deleted but served` : '',
    c.olderRv ? `${c.olderRv} older` : '',
    c.newerRv ? `${c.newerRv} newer` : '',
  ].filter(Boolean);
  return parts.join(', ');
}

export function describeExample(e: TimeTravelExample): string {
  switch (e.kind) {
    case 'missing':
      return `missing  ${e.key} (resourceVersion ${e.consistentRv} in the consistent answer)`;
    case 'extra':
      return `deleted  ${e.key} still served at resourceVersion ${e.cacheRv}`;
    case 'olderRv':
      return `older    ${e.key} at resourceVersion ${e.cacheRv}, ${e.consistentRv} in the consistent answer`;
    case 'newerRv':
      return `newer    ${e.key} at resourceVersion ${e.cacheRv}${e.consistentRv ? ` (${e.consistentRv} in the consistent answer)` : ''}: written after the consistent LIST`;
  }
}

export function renderTimeTravelText(r: TimeTravelResult): string {
  const out: string[] = [];
  out.push(`time travel: ${r.resource} on ${r.server}, ${plural(r.attempts, 'attempt')} in ${(r.durationMs / 1000).toFixed(1)} s`);
  out.push('servers seen:');
  for (const x of r.replicas) {
    const behind = x.stale ? `, ${x.stale} stale, up to ${plural(x.maxRvBehind, 'revision')} behind` : ', none stale';
    out.push(`  ${x.id}  ${x.identity}: ${plural(x.answers, 'resourceVersion=0 answer')}${behind}`);
  }
  out.push('attempt  consistent LIST (server)  resourceVersion=0 answer (server)  behind  verdict  differs');
  for (const a of r.answers) {
    if (a.error) {
      out.push(`${String(a.attempt).padStart(7)}  failed: ${a.error}`);
      continue;
    }
    const cons = `${a.consistentRv} (${a.consistentReplica ?? '?'})`;
    const cache = `${a.cacheRv} (${a.replica ?? '?'})`;
    out.push(`${String(a.attempt).padStart(7)}  ${cons.padEnd(24)}  ${cache.padEnd(33)}  ${String(a.rvBehind ?? 0).padStart(6)}  ${(a.verdict ?? '').padEnd(7)}  ${describeCounts(a)}`.trimEnd());
    if (a.verdict === 'stale') for (const e of a.examples ?? []) out.push(`           ${describeExample(e)}`);
  }
  const s = r.summary;
  out.push(
    s.stale
      ? `summary: ${s.stale} of ${s.answered} answers came from behind (server ${s.behindReplicas.join(', ')}), up to ${plural(s.maxRvBehind, 'revision')} behind the consistent LIST`
      : `summary: none of ${s.answered} answers came from behind${s.olderRv ? ` (${s.olderRv} at an older resourceVersion with the same objects: writes elsewhere moved the revision)` : ''}`,
  );
  if (s.failed) out.push(`${plural(s.failed, 'attempt')} failed`);
  out.push(`note: ${r.identityNote}`);
  return out.join('\n');
}
