// Watches the endpoint serves straight from etcd (cache disabled for the resource, e.g. events,
// or a profile that delegates RV="" watches to storage as 1.27 did). Upstream has no watch cache
// between these and etcd, so they have no cacheWatcher buffers; they are listed here so telemetry
// can show them beside the cache's watchers. Closed ones are kept in a bounded ring.
import type { CloseReason, WatcherInfo } from '../../../shared/model.js';
import { Ring } from '../../util/ring.js';

export interface StorageWatcher {
  info: WatcherInfo;
}

export class StorageWatcherRegistry {
  private readonly live = new Map<number, WatcherInfo>();
  private readonly closed: Ring<WatcherInfo>;
  // Negative ids keep them apart from cacheWatcher ids in a merged view.
  private nextId = -1;

  constructor(closedCapacity = 200) {
    this.closed = new Ring(closedCapacity);
  }

  add(init: Omit<WatcherInfo, 'id' | 'state' | 'eventsSent' | 'bookmarksSent' | 'inputLen' | 'resultLen' | 'capacity' | 'capacityRule' | 'createdAt'>): WatcherInfo {
    const info: WatcherInfo = {
      ...init,
      id: this.nextId--,
      createdAt: Date.now(),
      eventsSent: 0,
      bookmarksSent: 0,
      inputLen: 0,
      resultLen: 0,
      capacity: 0,
      capacityRule: 'storage',
      state: 'live',
    };
    this.live.set(info.id, info);
    return info;
  }

  close(info: WatcherInfo, reason: CloseReason, message?: string): void {
    if (!this.live.delete(info.id)) return;
    info.state = 'closed';
    info.closedAt = Date.now();
    info.closeReason = reason;
    if (message) info.closeMessage = message;
    this.closed.push(info);
  }

  liveWatchers(): WatcherInfo[] {
    return [...this.live.values()].map((w) => ({ ...w }));
  }

  closedWatchers(): WatcherInfo[] {
    return this.closed.toArray();
  }
}
