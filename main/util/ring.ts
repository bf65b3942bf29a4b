// A fixed-capacity ring buffer: the one container for anything kept per event or per request.
export class Ring<T> {
  private readonly buf: (T | undefined)[];
  private start = 0;
  private len = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new Error(`ring capacity must be a positive integer, got ${capacity}`);
    this.buf = new Array(capacity);
  }

  get length(): number {
    return this.len;
  }

  /** Appends; when full, drops and returns the oldest element. */
  push(v: T): T | undefined {
    if (this.len < this.capacity) {
      this.buf[(this.start + this.len) % this.capacity] = v;
      this.len++;
      return undefined;
    }
    const dropped = this.buf[this.start];
    this.buf[this.start] = v;
    this.start = (this.start + 1) % this.capacity;
    return dropped;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = new Array(this.len);
    for (let i = 0; i < this.len; i++) out[i] = this.buf[(this.start + i) % this.capacity] as T;
    return out;
  }

  at(i: number): T | undefined {
    if (i < 0 || i >= this.len) return undefined;
    return this.buf[(this.start + i) % this.capacity];
  }

  last(): T | undefined {
    return this.at(this.len - 1);
  }

  clear(): void {
    this.buf.fill(undefined);
    this.start = 0;
    this.len = 0;
  }
}
