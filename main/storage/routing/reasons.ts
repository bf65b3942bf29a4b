// The reason codes live in shared/reasons.ts: one list, with one explanation each, for the
// router, the endpoint and the UI. Re-exported here under the names the router has always used.
export { REASONS as reasonText, REASON_CODES as reasonCodes, type ReasonCode, type ReasonText } from '../../../shared/reasons.js';
