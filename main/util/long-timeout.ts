// setTimeout for delays past what Node's timers hold: a delay above 2^31-1 ms is replaced by 1 ms
// (TimeoutOverflowWarning), so a long delay is waited out in steps no longer than that.
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimeout {
  clear(): void;
}

export function setLongTimeout(callback: () => void, delayMs: number): LongTimeout {
  const due = performance.now() + Math.max(0, delayMs);
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = due - performance.now();
    if (left <= 0) return callback();
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
  };
  timer = setTimeout(arm, Math.min(Math.max(0, delayMs), MAX_TIMER_MS));
  return { clear: () => clearTimeout(timer) };
}
