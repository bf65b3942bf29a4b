// etcd server versions and what upstream Kubernetes concludes from them.
//
// Kubernetes only trusts on-demand progress notifications (RequestProgress), which consistent
// reads from the watch cache and watch-list depend on, from etcd releases that carry the fixes
// for etcd#15220 (progress replies not ordered with pending events) and etcd#17507 (no reply for
// a freshly created watch with no events): 3.4.31+ and 3.5.13+
// (k8s.io/apiserver storage/feature/feature_support_checker.go).

export interface EtcdVersion {
  major: number;
  minor: number;
  patch: number;
  /** The text as the server reported it. */
  text: string;
}

/** Parses "3.5.13", "v3.4.23", "3.6.0-rc.1"; undefined when it is not a version. */
export function parseEtcdVersion(text: string): EtcdVersion | undefined {
  const m = /^\s*v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text: text.trim() };
}

const atLeast = (v: EtcdVersion, major: number, minor: number, patch: number): boolean =>
  v.major !== major ? v.major > major : v.minor !== minor ? v.minor > minor : v.patch >= patch;

/**
 * upstream's feature_support_checker rule for RequestWatchProgress: unsupported below 3.4.31,
 * and in [3.5.0, 3.5.13); supported otherwise. An unparsable version is unsupported, as upstream
 * treats a version it cannot read.
 */
export function supportsRequestWatchProgress(version: string | EtcdVersion | undefined): boolean {
  const v = typeof version === 'string' ? parseEtcdVersion(version) : version;
  if (!v) return false;
  if (!atLeast(v, 3, 4, 31)) return false;
  if (atLeast(v, 3, 5, 0) && !atLeast(v, 3, 5, 13)) return false;
  return true;
}
