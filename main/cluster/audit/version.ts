// Which Kubernetes version wrote an audit log. kube-apiserver's own loopback client appears in its
// audit log with a user agent such as "kube-apiserver/v1.36.2 (linux/amd64) kubernetes/…"; the
// first such line within the first lines of the file names the cluster's version.
import { readAuditFile } from './file.js';

const UA = /"userAgent":"kube-apiserver\/(v\d+\.\d+\.\d+[^ "]*)/;

/** The gitVersion found in the first `maxLines` lines, or undefined. */
export async function probeClusterVersion(path: string, maxLines = 20_000): Promise<string | undefined> {
  const stop = new AbortController();
  let found: string | undefined;
  let n = 0;
  await readAuditFile(
    path,
    {
      line(text) {
        if (found || ++n > maxLines) return stop.abort();
        const m = UA.exec(text);
        if (m) {
          found = m[1];
          stop.abort();
        }
      },
      badInput() {},
    },
    { signal: stop.signal },
  );
  return found;
}

/** Used when neither the user nor the log names the cluster's version. */
export const DEFAULT_AUDIT_PROFILE = '1.34';

/**
 * The version an audit stream is routed under, and how it was chosen in words: the one the user
 * gave, else the one kube-apiserver names in the log, else the default (said so).
 */
export async function chooseAuditVersion(chosen: string | undefined, logPath: string | undefined): Promise<{ version: string; source: string }> {
  if (chosen) return { version: chosen, source: `--profile ${chosen}` };
  const found = logPath ? await probeClusterVersion(logPath) : undefined;
  if (found) return { version: found, source: `kube-apiserver/${found} in the log's own requests` };
  return {
    version: DEFAULT_AUDIT_PROFILE,
    source: `the default ${DEFAULT_AUDIT_PROFILE} (${logPath ? 'the log names no kube-apiserver version' : 'no log to read the version from'}; choose a profile)`,
  };
}
