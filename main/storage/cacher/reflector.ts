// The reflector (client-go tools/cache/reflector.go, run by cacher.go's startCaching under
// wait.Until): list the source, hand the list to the cache, watch from the list's revision, and
// when the watch ends, pause and start over. Watch responses wait in `pending` until the queue
// behind the watchCache has room: upstream's reflector blocks on a full incoming channel, which
// holds back the cache RV while etcd's own buffers fill behind it; pending plays those buffers.
import type { Source, SourceEvent, SourceListResult, SourceWatch, SourceWatchEnd } from '../source.js';
import type { CacheInfo } from '../../../shared/model.js';
import { BoundedQueue } from '../../util/queue.js';
import type { Clock } from './clock.js';

/** wait.Until period of the ListAndWatch loop. */
export const relistPeriodMs = 1000;

/** One etcd watch response, or one progress notification. */
export type PendingItem = { kind: 'events'; events: SourceEvent[] } | { kind: 'progress'; revision: number };

/** What the loop feeds: the Cacher's side of startCaching. */
export interface ReflectorStore {
  /** A (re)list starts: every watcher of the previous generation ends. */
  relisting(): void;
  /** The list arrived: the cache is replaced and becomes Ready. */
  replace(list: SourceListResult): void;
  /** Whether the queue behind the watchCache can take more. */
  hasRoom(): boolean;
  /** Applies one watch response or progress notification to the watchCache. */
  apply(item: PendingItem): void;
  /** End of a feeding pass. */
  fed(): void;
  /** ListAndWatch ended: the cache is no longer Ready; the loop pauses before relisting. */
  failed(message: string): void;
}

export interface ReflectorConfig {
  source: Source;
  collectionKey: string;
  groupResource: string;
  clock: Clock;
  store: ReflectorStore;
  counters: CacheInfo['counters'];
  log: (level: 'info' | 'warn', msg: string) => void;
  /** Pause before relisting after the n-th consecutive failure (default: upstream's 1s). */
  relistDelayMs?: (consecutiveFailures: number) => number;
}

export class Reflector {
  /** Unbounded here by necessity: the source pushes and cannot be paused; see the file comment. */
  private readonly pending = new BoundedQueue<PendingItem>(Infinity);
  private sourceWatch?: SourceWatch;
  private stopped = false;
  private loopDone?: Promise<void>;
  private wakeLoop?: () => void;
  private currentGen?: object;
  private stopWatchForGen?: () => void;
  /** Why the last ListAndWatch ended (cleared by a successful list). */
  lastError?: string;

  constructor(private readonly cfg: ReflectorConfig) {}

  start(): void {
    this.loopDone = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopWatchForGen?.();
    this.wakeLoop?.();
    await this.loopDone?.catch(() => undefined);
  }

  /** Ends the current watch, as if the source had ended it: the loop relists. */
  reinitialize(message: string): void {
    if (this.sourceWatch) {
      const w = this.sourceWatch;
      this.sourceWatch = undefined;
      w.stop();
    }
    this.lastError = message;
  }

  /** Asks the source for a progress notification; false while no watch is open. */
  requestProgress(): boolean {
    if (!this.sourceWatch) return false;
    this.sourceWatch.requestProgress();
    return true;
  }

  /** Feeds pending items to the cache while the queue behind it has room. */
  drain(): void {
    const store = this.cfg.store;
    while (this.pending.length > 0 && store.hasRoom()) store.apply(this.pending.shift()!);
    store.fed();
  }

  private push(item: PendingItem): void {
    this.pending.push(item);
    this.drain();
  }

  private async run(): Promise<void> {
    const { clock, groupResource } = this.cfg;
    let failures = 0;
    while (!this.stopped) {
      const began = clock.now();
      try {
        const end = await this.listAndWatch();
        // Only a watch that stayed up for a while counts as recovered (client-go's backoff
        // resets after a healthy period the same way).
        if (clock.now() - began > 60_000) failures = 0;
        if (this.stopped) break;
        this.lastError = end.message;
        this.cfg.log('warn', `cacher (${groupResource}): unexpected ListAndWatch error: ${end.message}; reinitializing...`);
      } catch (e) {
        if (this.stopped) break;
        this.lastError = e instanceof Error ? e.message : String(e);
        this.cfg.log('warn', `cacher (${groupResource}): unexpected ListAndWatch error: ${this.lastError}; reinitializing...`);
      }
      this.cfg.store.failed(this.lastError ?? '');
      await new Promise<void>((resolve) => {
        failures++;
        const t = clock.setTimeout(resolve, this.cfg.relistDelayMs?.(failures) ?? relistPeriodMs);
        this.wakeLoop = () => {
          clock.clearTimeout(t);
          resolve();
        };
      });
      this.wakeLoop = undefined;
    }
  }

  private listAndWatch(): Promise<SourceWatchEnd> {
    const { source, collectionKey, store } = this.cfg;
    store.relisting();
    const gen = {};
    this.currentGen = gen;
    return (async () => {
      const list = await source.list(collectionKey);
      if (this.stopped || this.currentGen !== gen) return { reason: 'stopped', message: 'stopped' } as SourceWatchEnd;
      // Leftovers of the previous watch belong to terminated watchers.
      this.pending.clear();
      this.lastError = undefined;
      store.replace(list);
      return await new Promise<SourceWatchEnd>((resolve) => {
        let ended = false;
        this.sourceWatch = source.watch(collectionKey, list.resourceVersion, {
          onEvents: (events) => {
            if (ended || this.currentGen !== gen) return;
            this.push({ kind: 'events', events });
          },
          onProgress: (revision) => {
            if (ended || this.currentGen !== gen) return;
            this.cfg.counters.progressNotifies++;
            this.push({ kind: 'progress', revision });
          },
          onEnd: (end) => {
            if (ended) return;
            ended = true;
            this.sourceWatch = undefined;
            resolve(end);
          },
        });
        this.stopWatchForGen = () => {
          if (!ended) {
            ended = true;
            this.sourceWatch?.stop();
            this.sourceWatch = undefined;
            resolve({ reason: 'stopped', message: 'cacher stopped' });
          }
        };
      });
    })();
  }
}
