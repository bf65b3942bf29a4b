// Small shared pieces of the presets: waiting, finding one's own decisions and watchers, and
// checking a reflector's store against the truth read from etcd.
import type { Decision, WatcherInfo } from '../../../shared/model.js';
import { listAll } from '../lister.js';
import type { Reflector } from '../reflector.js';
import type { Transport } from '../transport.js';
import type { ScenarioContext } from './types.js';

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 100): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const scaled = (ctx: ScenarioContext, n: number, min = 1): number => Math.max(min, Math.round(n * (ctx.scale ?? 1)));

/** Decisions recorded after `sinceId` for requests sent with exactly this User-Agent. */
export function decisionsOf(ctx: ScenarioContext, sinceId: number, userAgent: string): Decision[] {
  return ctx.decisions.since(sinceId).filter((d) => d.userAgent === userAgent);
}

/** "cache", "etcd", "rejected", "mixed" or "none" for a set of decisions. */
export function servedBy(ds: Decision[]): string {
  const s = new Set(ds.map((d) => d.servedBy));
  return s.size === 0 ? 'none' : s.size > 1 ? 'mixed' : [...s][0]!;
}

export function closedWatchers(ctx: ScenarioContext, since: number, match: (w: WatcherInfo) => boolean): WatcherInfo[] {
  return ctx.caches().flatMap((c) => c.closedWatchers()).filter((w) => (w.closedAt ?? 0) >= since && match(w));
}

export function liveWatchers(ctx: ScenarioContext, match: (w: WatcherInfo) => boolean): WatcherInfo[] {
  return ctx.caches().flatMap((c) => c.liveWatchers()).filter(match);
}

/**
 * Waits until the reflector's store (ns/name → RV) equals an Exact LIST at the resourceVersion
 * the reflector has synced to: "nothing lost, nothing extra" up to that RV. Comparing at the
 * reflector's own RV (not the latest) keeps the check exact while other writers keep going.
 */
export async function converges(t: Transport, r: Reflector, o: { path: string; fieldSelector?: string; labelSelector?: string }, timeoutMs: number): Promise<boolean> {
  return waitFor(async () => {
    const rv = r.resourceVersion;
    if (!rv || rv === '0') return false;
    const seen = new Map(r.store);
    const truth = await listAll(t, { ...o, resourceVersion: rv, resourceVersionMatch: 'Exact', userAgent: 'watchscope-scenario/verifier' });
    if (!truth.ok) return false;
    if (truth.items.length !== seen.size) return false;
    for (const it of truth.items) if (seen.get(`${it.namespace ?? ''}/${it.name ?? ''}`) !== it.resourceVersion) return false;
    return true;
  }, timeoutMs, 250);
}
