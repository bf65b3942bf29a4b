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
