/**
 * BoundedQueue: a ring buffer between a producer that must never wait (the socket reader) and a consumer
 * that may (the publisher). When full, `drop-newest` refuses the new item, `drop-oldest` evicts the oldest;
 * either way `dropped` counts it. I/O-free.
 */
export type DropPolicy = 'drop-newest' | 'drop-oldest';

export class BoundedQueue<T> {
  readonly capacity: number;
  readonly policy: DropPolicy;
  private readonly buf: (T | undefined)[];
  private head = 0;
  private len = 0;
  private waiter: ((more: boolean) => void) | null = null;
  private closed = false;
  /** items accepted by push() */
  enqueued = 0;
  /** items lost to the drop policy */
  dropped = 0;
  /** the largest length seen */
  highWater = 0;

  /**
   * @param onDrop called (synchronously) with every item lost to the policy: the refused one under
   * drop-newest, the evicted one under drop-oldest
   */
  constructor(
    capacity: number,
    policy: DropPolicy = 'drop-newest',
    private readonly onDrop?: (item: T) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
    if (policy !== 'drop-newest' && policy !== 'drop-oldest')
      throw new RangeError(`drop policy must be drop-newest or drop-oldest, got ${String(policy)}`);
    this.capacity = capacity;
    this.policy = policy;
    this.buf = new Array(capacity);
  }

  get length(): number {
    return this.len;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Never waits. Returns false when an item was dropped (the new one under drop-newest, the oldest under drop-oldest) or the queue is closed. */
  push(item: T): boolean {
    if (this.closed) return false;
    let ok = true;
    if (this.len === this.capacity) {
      this.dropped++;
      if (this.policy === 'drop-newest') {
        this.onDrop?.(item);
        return false;
      }
      const evicted = this.buf[this.head] as T;
      this.buf[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.len--;
      ok = false;
      this.onDrop?.(evicted);
    }
    this.buf[(this.head + this.len) % this.capacity] = item;
    this.len++;
    this.enqueued++;
    if (this.len > this.highWater) this.highWater = this.len;
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w(true);
    }
    return ok;
  }

  shift(): T | undefined {
    if (this.len === 0) return undefined;
    const item = this.buf[this.head] as T;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.len--;
    return item;
  }

  /** Resolves true when an item is available, false when the queue is closed and empty. One waiter at a time. */
  wait(): Promise<boolean> {
    if (this.len > 0) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((r) => {
      this.waiter = r;
    });
  }

  /** No more pushes; the consumer drains what is left, then wait() resolves false. */
  close(): void {
    this.closed = true;
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w(this.len > 0);
    }
  }
}
