/** Lines to a writable stream with backpressure, buffered (one write per batch, not per line). */
export interface LineSink {
  write(chunk: string): boolean;
  once(event: 'drain' | 'error' | 'close', fn: () => void): unknown;
  off(event: 'drain' | 'error' | 'close', fn: () => void): unknown;
}

export class LineWriter {
  private buf: string[] = [];
  private len = 0;
  private scheduled = false;
  constructor(private readonly out: LineSink) {}
  /** resolves at once unless the buffer is full and the stream asks to wait */
  async line(s: string): Promise<void> {
    this.buf.push(s);
    this.len += s.length + 1;
    if (this.len >= 1 << 16) await this.flush();
    else if (!this.scheduled) {
      // a quiet stream (following): the lines go out once the events at hand are written
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.flush();
      });
    }
  }
  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const text = this.buf.join('\n') + '\n';
    this.buf = [];
    this.len = 0;
    if (this.out.write(text)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.out.off('drain', done);
        this.out.off('error', done);
        this.out.off('close', done);
        resolve();
      };
      this.out.once('drain', done);
      this.out.once('error', done);
      this.out.once('close', done);
    });
  }
}
