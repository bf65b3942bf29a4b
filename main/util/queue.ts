// A FIFO holding at most `capacity` items: what a buffered Go channel is to upstream, minus the
// blocking (callers decide what to do when `push` says no). Items live in a circular array that
// grows by doubling up to the capacity, so an idle queue of a large capacity costs little, and
// that is given back once a burst has drained.
const initialSlots = 16;

export class BoundedQueue<T> {
  private buf: (T | undefined)[] = new Array(initialSlots);
  private head = 0;
  private len = 0;

  /** `capacity` may be Infinity for a queue whose bound is enforced by whoever feeds it. */
  constructor(readonly capacity: number) {
    if (!(capacity > 0) || (Number.isFinite(capacity) && !Number.isInteger(capacity))) {
      throw new Error(`queue capacity must be a positive integer or Infinity, got ${capacity}`);
    }
  }

  get length(): number {
    return this.len;
  }

  get full(): boolean {
    return this.len >= this.capacity;
  }

  /** Appends; false (and nothing stored) when the queue is full. */
  push(v: T): boolean {
    if (this.len >= this.capacity) return false;
    if (this.len === this.buf.length) this.grow();
    this.buf[(this.head + this.len) % this.buf.length] = v;
    this.len++;
    return true;
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.len === 0) return undefined;
    const v = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) % this.buf.length;
    this.len--;
    if (this.len === 0) {
      this.head = 0;
      if (this.buf.length > initialSlots) this.buf = new Array(initialSlots);
    }
    return v;
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.len === 0 ? undefined : this.buf[this.head];
  }

  clear(): void {
    this.buf = new Array(initialSlots);
    this.head = 0;
    this.len = 0;
  }

  private grow(): void {
    const size = this.buf.length;
    const next: (T | undefined)[] = new Array(Math.min(size * 2, Math.max(this.capacity, size + 1)));
    for (let i = 0; i < this.len; i++) next[i] = this.buf[(this.head + i) % size];
    this.buf = next;
    this.head = 0;
  }
}
