// Whether a path can be followed as an audit log, said the way a person fixes it. A file of its
// own, with nothing but the file system, so the CLI can refuse a bad --audit-log before it loads
// the storage stack.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';

/**
 * Says, within the time a stat takes, why a path cannot be followed as an audit log, in one
 * sentence a person can act on; undefined when it can be read.
 */
export async function auditLogProblem(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) return `audit log ${path} is a directory: name the log file kube-apiserver writes (--audit-log-path)`;
    if (!s.isFile() && !s.isFIFO()) return `audit log ${path} is not a regular file`;
    await access(path, constants.R_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `audit log ${path} does not exist (check the path; kube-apiserver writes it where --audit-log-path says)`;
    if (code === 'EACCES' || code === 'EPERM') return `audit log ${path} is not readable by this user (permission denied)`;
    return `audit log ${path} cannot be read: ${(e as Error).message}`;
  }
}
