// Base for Source wrappers that change only what a watch delivers (a held-back or delayed
// cache): lists, revisions and close go straight to the wrapped Source.
import type { Source, SourceInfo, SourceListResult, SourceWatch, SourceWatchHandlers } from './source.js';

export abstract class ForwardingSource implements Source {
  constructor(readonly inner: Source) {}

  info(): SourceInfo {
    return this.inner.info();
  }

  list(prefix: string): Promise<SourceListResult> {
    return this.inner.list(prefix);
  }

  currentRevision(prefix: string): Promise<number> {
    return this.inner.currentRevision(prefix);
  }

  get revisionScope(): Source['revisionScope'] {
    return this.inner.revisionScope;
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  abstract watch(prefix: string, afterRevision: number, handlers: SourceWatchHandlers): SourceWatch;
}
