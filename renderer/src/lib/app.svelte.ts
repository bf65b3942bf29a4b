// Renderer state: the latest snapshot, a bounded decision log and the UI's own choices.
// Snapshots replace each other ($state.raw: no deep proxies for data that is swapped whole,
// which also keeps chart.js away from Svelte proxies).
import type { ConnectionState, Decision, Snapshot } from '../../../shared/model.js';
import type { ProfileList } from '../../../shared/ipc.js';
import type { Backend, TransportState } from './backend.js';

export const VIEWS = [
  { id: 'connect', label: 'Connect' },
  { id: 'watchers', label: 'Watchers' },
  { id: 'freshness', label: 'Freshness' },
  { id: 'requests', label: 'Requests' },
  { id: 'console', label: 'Console' },
  { id: 'clients', label: 'Clients' },
  { id: 'cluster', label: 'Cluster' },
] as const;
export type ViewId = (typeof VIEWS)[number]['id'];

/** Decisions kept by the renderer (newest last). */
export const DECISION_LOG_CAP = 2000;

export type Theme = 'system' | 'light' | 'dark';

export class AppState {
  connection = $state.raw<ConnectionState>({ state: 'disconnected' });
  /** When the current connection state arrived (for the reconnect countdown). */
  connectionAt = $state(Date.now());
  snapshot = $state.raw<Snapshot | null>(null);
  decisions = $state.raw<Decision[]>([]);
  profiles = $state.raw<ProfileList | null>(null);
  transport = $state.raw<TransportState>({ state: 'open' });
  view = $state<ViewId>('connect');
  theme = $state<Theme>('system');
  /** The theme in force (system resolved), for canvas colours. */
  effectiveTheme = $state<'light' | 'dark'>('light');
  /** Console → Requests: a decision to highlight. */
  focusDecisionId = $state<number | null>(null);
  /** Clients → Requests: show only this client's requests (its clientKey, or its user). */
  clientFilter = $state<{ by: 'userAgent' | 'user'; key: string } | null>(null);

  private lastDecisionId = 0;

  constructor(readonly backend: Backend) {
    const saved = globalThis.localStorage?.getItem('watchscope.theme');
    if (saved === 'light' || saved === 'dark' || saved === 'system') this.theme = saved;
  }

  start(): () => void {
    const offs = [
      this.backend.onConnection((c) => this.setConnection(c)),
      this.backend.onSnapshot((s) => this.applySnapshot(s)),
    ];
    if (this.backend.onTransportState) offs.push(this.backend.onTransportState((t) => (this.transport = t)));
    void this.refreshProfiles();
    void this.backfillDecisions();
    return () => offs.forEach((o) => o());
  }

  setConnection(c: ConnectionState): void {
    const was = this.connection.state;
    this.connection = c;
    this.connectionAt = Date.now();
    // A fresh connection made from the Connect view lands on the watchers; a reconnect doesn't move.
    if (c.state === 'connected' && was !== 'connected' && was !== 'reconnecting' && this.view === 'connect') this.view = c.mode === 'audit' ? 'requests' : 'watchers';
  }

  applySnapshot(s: Snapshot): void {
    this.snapshot = s;
    if (s.connection.state !== this.connection.state || s.connection.message !== this.connection.message) {
      this.setConnection(s.connection);
    }
    if (s.lastDecisionId < this.lastDecisionId) {
      // The log went back (a replay seeked to an earlier moment): start over from what it holds now.
      this.decisions = [];
      this.lastDecisionId = 0;
      void this.backfillDecisions();
      return;
    }
    const fresh = s.decisions.filter((d) => d.id > this.lastDecisionId);
    if (fresh.length && fresh[0]!.id > this.lastDecisionId + 1) {
      // Snapshots carry a bounded slice; fill the gap from the full ring.
      void this.backfillDecisions();
    } else if (fresh.length) {
      this.appendDecisions(fresh);
    }
  }

  private appendDecisions(ds: Decision[]): void {
    if (!ds.length) return;
    const merged = this.decisions.concat(ds);
    this.decisions = merged.length > DECISION_LOG_CAP ? merged.slice(merged.length - DECISION_LOG_CAP) : merged;
    this.lastDecisionId = this.decisions[this.decisions.length - 1]!.id;
  }

  async backfillDecisions(): Promise<void> {
    try {
      const page = await this.backend.getDecisions({ since: this.lastDecisionId, max: DECISION_LOG_CAP });
      this.appendDecisions(page.decisions.filter((d) => d.id > this.lastDecisionId));
    } catch {
      // Not connected yet: snapshots will bring decisions.
    }
  }

  async refreshProfiles(): Promise<void> {
    try {
      this.profiles = await this.backend.listProfiles();
    } catch {
      this.profiles = null;
    }
  }

  setTheme(t: Theme): void {
    this.theme = t;
    globalThis.localStorage?.setItem('watchscope.theme', t);
  }
}
