export { Telemetry, type TelemetryOptions } from './telemetry.js';
export { FreshnessSeries, cacheKey } from './freshness.js';
export { ClosedWatcherLog } from './closed-watchers.js';
