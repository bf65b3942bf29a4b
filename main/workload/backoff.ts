// Retry pacing for the simulated clients, shaped like client-go's reflector backoff
// (wait.NewExponentialBackoffManager(800ms, 30s, 2m reset, factor 2, jitter 1)).

export class Backoff {
  private current = 0;
  private lastFailure = 0;

  constructor(
    private readonly initialMs = 800,
    private readonly maxMs = 30_000,
    private readonly resetAfterMs = 120_000,
  ) {}

  /** Delay before the next attempt after a failure. */
  next(now = Date.now()): number {
    if (this.current === 0 || now - this.lastFailure > this.resetAfterMs) this.current = this.initialMs;
    else this.current = Math.min(this.current * 2, this.maxMs);
    this.lastFailure = now;
    return this.current * (1 + Math.random());
  }

  reset(): void {
    this.current = 0;
  }
}

/** A sleep that ends early when `signal` aborts (resolves false then). */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
