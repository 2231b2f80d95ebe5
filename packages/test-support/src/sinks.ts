/** Fake EventSinks for tests and benchmarks that need no NATS: they confirm everything at once. */
import type { Publishable } from '@md/event-types';
import type { EventSink, SinkStats } from '@md/nats-bus';

const confirmedStats = (n: number): SinkStats => ({ published: n, acked: n, duplicates: 0, retried: 0, failed: 0, pending: 0 });

/** keeps every event, in the order published */
export class MemorySink implements EventSink {
  readonly events: Publishable[] = [];
  get stats(): SinkStats {
    return confirmedStats(this.events.length);
  }
  async publish(p: Publishable): Promise<void> {
    this.events.push(p);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/** only counts (a baseline: everything but the bus) */
export class CountingSink implements EventSink {
  n = 0;
  get stats(): SinkStats {
    return confirmedStats(this.n);
  }
  async publish(_p: Publishable): Promise<void> {
    this.n++;
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
