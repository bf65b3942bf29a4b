// Work that may wait for a frame of its own: each animation frame runs at most one queued job, so
// several heavy redraws triggered by one snapshot (the Freshness view's charts) are spread over
// successive frames instead of making one frame late. A job queued again before it ran is
// replaced (only the newest state is drawn) and keeps its place.
type Job = () => void;

export interface FrameQueue {
  /** Runs `job` in a frame of its own; a job already queued under `key` is replaced. */
  schedule(key: object, job: Job): void;
  /** Drops the job queued under `key`, if any (its owner went away). */
  cancel(key: object): void;
}

export interface FrameClock {
  request(run: () => void): void;
}

// Without frames (a hidden window) the queue still drains, at a timer's pace.
const browserClock: FrameClock = {
  request(run) {
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      run();
    };
    // Typed by hand: the unit tests compile this file without the DOM's types.
    const raf = (globalThis as { requestAnimationFrame?: (cb: () => void) => number }).requestAnimationFrame;
    if (typeof raf === 'function') raf.call(globalThis, once);
    setTimeout(once, 250);
  },
};

export function createFrameQueue(clock: FrameClock = browserClock): FrameQueue {
  const jobs = new Map<object, Job>();
  let waiting = false;
  const tick = () => {
    waiting = false;
    const next = jobs.entries().next();
    if (next.done) return;
    const [key, job] = next.value;
    jobs.delete(key);
    if (jobs.size) arm();
    job();
  };
  const arm = () => {
    if (waiting) return;
    waiting = true;
    clock.request(tick);
  };
  return {
    schedule(key, job) {
      jobs.set(key, job);
      arm();
    },
    cancel(key) {
      jobs.delete(key);
    },
  };
}

/** The page's one queue: every chart shares it, so they take turns. */
export const frameQueue = createFrameQueue();
