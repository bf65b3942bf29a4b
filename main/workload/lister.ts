// One-shot and periodic LISTs, the requests whose routing differs most between releases:
// paginated LISTs (limit + continue: etcd before 1.31–1.34, cache after, see shouldDelegateList)
// and consistent LISTs (resourceVersion="": etcd unless consistent reads from cache are enabled
// and etcd supports RequestWatchProgress, KEP-2340).
import { sleep } from './backoff.js';
import { statusOf, type Query, type Transport } from './transport.js';

export interface ListOptions {
  path: string;
  userAgent: string;
  /** undefined = not sent (a consistent read); '0' = any; 'n' = not older than n. */
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  limit?: number;
  labelSelector?: string;
  fieldSelector?: string;
  /** Follow continue tokens until the end (default true). */
  all?: boolean;
  /** Stop after this many pages (default unlimited). */
  maxPages?: number;
  signal?: AbortSignal;
}

export interface ListPage {
  status: number;
  items: number;
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
  latencyMs: number;
  bytes: number;
  message?: string;
}

export interface ListOutcome {
  ok: boolean;
  status: number;
  pages: ListPage[];
  items: { namespace?: string; name?: string; resourceVersion?: string }[];
  /** RV of the first page (later pages keep it: one consistent snapshot). */
  resourceVersion: string;
  latencyMs: number;
  bytes: number;
  message?: string;
}

interface ListBody {
  metadata?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items?: { metadata?: { namespace?: string; name?: string; resourceVersion?: string } }[];
}

/** Pages through a collection; `continue` pages send no resourceVersion, as the API requires. */
export async function listAll(t: Transport, o: ListOptions): Promise<ListOutcome> {
  const out: ListOutcome = { ok: false, status: 0, pages: [], items: [], resourceVersion: '', latencyMs: 0, bytes: 0 };
  let cont: string | undefined;
  const base: Query = { labelSelector: o.labelSelector || undefined, fieldSelector: o.fieldSelector || undefined, limit: o.limit || undefined };
  for (;;) {
    const query: Query = cont
      ? { ...base, continue: cont }
      : { ...base, resourceVersion: o.resourceVersion, resourceVersionMatch: o.resourceVersionMatch };
    const r = await t.request<ListBody>({ method: 'GET', path: o.path, query, userAgent: o.userAgent, signal: o.signal });
    const page: ListPage = {
      status: r.status,
      items: r.body?.items?.length ?? 0,
      resourceVersion: r.body?.metadata?.resourceVersion ?? '',
      continue: r.body?.metadata?.continue || undefined,
      remainingItemCount: r.body?.metadata?.remainingItemCount,
      latencyMs: r.latencyMs,
      bytes: r.bytes,
    };
    out.status = r.status;
    out.latencyMs += r.latencyMs;
    out.bytes += r.bytes;
    if (r.status !== 200) {
      page.message = statusOf(r.body)?.message ?? String(r.body).slice(0, 200);
      out.message = page.message;
      out.pages.push(page);
      return out;
    }
    out.pages.push(page);
    if (out.pages.length === 1) out.resourceVersion = page.resourceVersion;
    for (const it of r.body.items ?? []) {
      out.items.push({ namespace: it.metadata?.namespace, name: it.metadata?.name, resourceVersion: it.metadata?.resourceVersion });
    }
    cont = page.continue;
    if (!cont || o.all === false || (o.maxPages !== undefined && out.pages.length >= o.maxPages)) {
      out.ok = true;
      return out;
    }
  }
}

export interface PeriodicListerStats {
  runs: number;
  pages: number;
  errors: number;
  lastLatencyMs: number;
  lastItems: number;
  lastError?: string;
}

/** Runs one kind of LIST every `everySec` seconds (0 = paused), changeable live. */
export class PeriodicLister {
  private readonly ctl = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly s: PeriodicListerStats = { runs: 0, pages: 0, errors: 0, lastLatencyMs: 0, lastItems: 0 };

  constructor(
    private readonly t: Transport,
    private readonly list: Omit<ListOptions, 'signal'>,
    public everySec: number,
  ) {}

  start(): void {
    if (!this.loop) this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.ctl.abort();
    await this.loop;
  }

  stats(): PeriodicListerStats {
    return { ...this.s };
  }

  private async run(): Promise<void> {
    while (!this.ctl.signal.aborted) {
      const every = this.everySec;
      if (!(await sleep(every > 0 ? every * 1000 : 500, this.ctl.signal))) return;
      if (every <= 0 || this.everySec <= 0) continue;
      try {
        const r = await listAll(this.t, { ...this.list, signal: this.ctl.signal });
        this.s.runs++;
        this.s.pages += r.pages.length;
        this.s.lastLatencyMs = r.latencyMs;
        this.s.lastItems = r.items.length;
        if (!r.ok) {
          this.s.errors++;
          this.s.lastError = `LIST ${r.status}: ${r.message ?? ''}`;
        }
      } catch (e) {
        if (this.ctl.signal.aborted) return;
        this.s.errors++;
        this.s.lastError = (e as Error).message;
      }
    }
  }
}
