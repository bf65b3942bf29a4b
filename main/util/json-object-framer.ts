// Frames a Kubernetes JSON watch response into its event objects. kube-apiserver writes one
// JSON object per line, but client-go's decoder does not rely on the newlines (it uses a
// streaming JSON decoder), so neither does this: objects are framed by tracking braces outside
// strings, whatever the chunk boundaries are. Used by every reader of a watch stream (the
// workload's clients and kube mode's watch of a cluster).

/** Incremental framer: push text, get back every complete top-level JSON object text. */
export class JsonObjectFramer {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;

  push(text: string): string[] {
    this.buf += text;
    const out: string[] = [];
    for (let i = this.scanned; i < this.buf.length; i++) {
      const ch = this.buf.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === 0x5c /* \ */) this.escaped = true;
        else if (ch === 0x22 /* " */) this.inString = false;
        continue;
      }
      if (ch === 0x22) this.inString = true;
      else if (ch === 0x7b /* { */) {
        if (this.depth === 0) this.start = i;
        this.depth++;
      } else if (ch === 0x7d /* } */) {
        this.depth--;
        if (this.depth === 0) {
          out.push(this.buf.slice(this.start, i + 1));
          this.start = -1;
        } else if (this.depth < 0) {
          throw new Error('watch stream: unbalanced "}"');
        }
      }
    }
    // Keep only the unfinished object (if any) so the buffer stays the size of one object.
    if (this.depth === 0) {
      this.buf = '';
      this.scanned = 0;
    } else {
      this.buf = this.buf.slice(this.start);
      this.start = 0;
      this.scanned = this.buf.length;
    }
    return out;
  }

  /** Characters of an object still incomplete. */
  get pending(): number {
    return this.depth === 0 ? 0 : this.buf.length;
  }
}
