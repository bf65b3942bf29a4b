// The documentation the UI links to, and the only addresses the desktop shell will hand to the
// user's browser: a compromised or buggy renderer cannot open anything else through the shell.
// Each address is written exactly as a browser normalizes it (docs-links.test.ts checks), because
// the shell compares strings, not patterns.

export interface DocLink {
  title: string;
  url: string;
}

export const DOC_LINKS = [
  {
    title: 'Kubernetes API: resource versions',
    url: 'https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions',
  },
  {
    title: 'Kubernetes API: efficient detection of changes (watch, bookmarks)',
    url: 'https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes',
  },
  {
    title: 'KEP-2340: consistent reads from cache',
    url: 'https://github.com/kubernetes/enhancements/tree/master/keps/sig-api-machinery/2340-Consistent-reads-from-cache',
  },
  {
    title: 'KEP-3157: streaming lists (watch-list)',
    url: 'https://github.com/kubernetes/enhancements/tree/master/keps/sig-api-machinery/3157-watch-list',
  },
] as const satisfies readonly DocLink[];

/** True only for an address of DOC_LINKS, character for character. */
export function isDocLink(url: string): boolean {
  return DOC_LINKS.some((l) => l.url === url);
}
