// The same request decided under every profile, for the UI's "what would 1.27 do" view.
import { decide, type CacheState, type RoutingDecision, type RoutingRequest } from './decide.js';
import { allProfiles, type Profile } from './profiles.js';

export interface WhatIfRow {
  profile: Profile;
  decision: RoutingDecision;
}

export function whatIf(req: RoutingRequest, cache: CacheState, profiles: readonly Profile[] = allProfiles): WhatIfRow[] {
  return profiles.map((profile) => ({ profile, decision: decide(req, cache, profile) }));
}
