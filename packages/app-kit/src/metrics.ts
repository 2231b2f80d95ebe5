/**
 * Prometheus metrics for the apps, on prom-client's Registry (text format, process metrics). The apps keep
 * their own counters (stats objects); the metrics here READ them when scraped (`scraped`), so the hot path pays
 * nothing. Where a per-event observation is needed: `FastHistogram` (fixed buckets, no allocation per
 * observation) and `PairCounts` (counts by two labels, e.g. subject and source).
 */
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { Metric, Registry } from 'prom-client';

export type { Registry };

/**
 * prom-client, loaded at the first registry: a program that never serves metrics (no --metrics-port, the dbn
 * CLI) does not pay its ~12 MB of RSS and start-up time.
 */
let prom: typeof PromClient | undefined;
const loadProm = (): typeof PromClient => (prom ??= createRequire(import.meta.url)('prom-client') as typeof PromClient);

/** Prometheus' naming convention (a metric name, a label name) */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export interface MetricsRegistryOptions {
  /** the process metrics (CPU, resident memory, heap, event loop lag, open handles, ...): default true */
  processMetrics?: boolean;
  /** a prefix of the process metrics' names (default none: `process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, ...) */
  processPrefix?: string;
}

/** a Registry holding prom-client's process metrics (collectDefaultMetrics) */
export function createMetricsRegistry(o: MetricsRegistryOptions = {}): Registry {
  const { Registry: PromRegistry, collectDefaultMetrics } = loadProm();
  const register = new PromRegistry();
  if (o.processMetrics ?? true) collectDefaultMetrics({ register, ...(o.processPrefix ? { prefix: o.processPrefix } : {}) });
  return register;
}

export type Labels = Readonly<Record<string, string | number>>;
/** one value of a metric: its labels and the number */
export type Sample = readonly [labels: Labels, value: number];

/** what prom-client's Registry reads of a metric (its text and JSON output) */
interface MetricLike {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: 'sum';
    values: { value: number; labels: Labels; metricName?: string }[];
  }>;
  reset(): void;
}

function register(reg: Registry, m: MetricLike): void {
  reg.registerMetric(m as unknown as Metric);
}

function checkName(name: string, type: string, labelNames: readonly string[]): void {
  if (!METRIC_NAME.test(name)) throw new TypeError(`metric name ${JSON.stringify(name)} is not a Prometheus name`);
  if (type === 'counter' && !name.endsWith('_total')) throw new TypeError(`counter ${name}: a counter's name ends with _total`);
  if (type !== 'counter' && name.endsWith('_total')) throw new TypeError(`${type} ${name}: only a counter's name ends with _total`);
  for (const l of labelNames)
    if (!LABEL_NAME.test(l) || l.startsWith('__') || l === 'le') throw new TypeError(`metric ${name}: bad label name ${JSON.stringify(l)}`);
}

export interface ScrapedSpec {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  /** the label names every sample carries (checked) */
  labelNames?: readonly string[];
  /** read when scraped: one number (no labels), or samples (may be async: the scrape waits, so keep it short) */
  value: () => number | Iterable<Sample> | Promise<number | Iterable<Sample>>;
}

/**
 * A counter or gauge whose value is read from the app's own state when scraped (a stats object's field, a
 * queue's length): nothing happens per event. A counter's name must end with `_total` (and only a counter's).
 */
export function scraped(reg: Registry, spec: ScrapedSpec): void {
  const labelNames = spec.labelNames ?? [];
  checkName(spec.name, spec.type, labelNames);
  const { name, help, type } = spec;
  register(reg, {
    name,
    help,
    type,
    aggregator: 'sum',
    async get() {
      const v = await spec.value();
      const values: { value: number; labels: Labels }[] = [];
      if (typeof v === 'number') values.push({ value: v, labels: {} });
      else
        for (const [labels, value] of v) {
          for (const l of labelNames)
            if (!(l in labels)) throw new TypeError(`metric ${name}: a sample without the label ${l}: ${JSON.stringify(labels)}`);
          values.push({ value, labels });
        }
      return { name, help, type, aggregator: 'sum', values };
    },
    reset() {
      // the values are the app's: nothing to reset here
    },
  });
}

/** seconds buckets from 100 us to 60 s: for latencies and lags */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** one series of a FastHistogram: observe() only adds to numbers (no allocation) */
export class HistogramSeries {
  /** counts per bucket (not cumulative; the scrape adds them up); the last one is +Inf */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(v: number): void {
    if (!(v === v)) return; // NaN: not an observation
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > (b[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += v;
    this.count++;
  }
  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

export interface FastHistogramSpec {
  name: string;
  help: string;
  /** upper bounds, ascending (default LATENCY_BUCKETS_S) */
  buckets?: readonly number[];
  labelNames?: readonly string[];
}

/**
 * A Prometheus histogram for per-event observations: `observe(v)` (no labels) or `labels(...values)` once, then
 * `series.observe(v)` per event; neither allocates. Written as `<name>_bucket{le=...}`, `<name>_sum`, `<name>_count`.
 */
export class FastHistogram {
  readonly bounds: readonly number[];
  private readonly series = new Map<string, { labels: Labels; s: HistogramSeries }>();
  private readonly labelNames: readonly string[];
  private plain: HistogramSeries | null = null;

  constructor(reg: Registry, spec: FastHistogramSpec) {
    this.labelNames = spec.labelNames ?? [];
    checkName(spec.name, 'histogram', this.labelNames);
    const bounds = [...(spec.buckets ?? LATENCY_BUCKETS_S)];
    for (let i = 1; i < bounds.length; i++)
      if (!((bounds[i] as number) > (bounds[i - 1] as number))) throw new TypeError(`histogram ${spec.name}: buckets must ascend`);
    this.bounds = bounds;
    const { name, help } = spec;
    register(reg, {
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      get: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: this.values(name) }),
      reset: () => {
        for (const { s } of this.series.values()) s.reset();
      },
    });
  }

  /** the series of these label values (in labelNames order); keep it: looking it up per event costs a string join */
  labels(...values: (string | number)[]): HistogramSeries {
    if (values.length !== this.labelNames.length)
      throw new TypeError(
        `histogram: ${this.labelNames.length} label value(s) expected (${this.labelNames.join(', ')}), got ${values.length}`,
      );
    const key = values.join('\u0000');
    let e = this.series.get(key);
    if (!e) {
      const labels: Record<string, string | number> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] as string | number));
      e = { labels, s: new HistogramSeries(this.bounds) };
      this.series.set(key, e);
    }
    return e.s;
  }

  /** observe a value of the series without labels */
  observe(v: number): void {
    (this.plain ??= this.labels()).observe(v);
  }

  private values(name: string): { value: number; labels: Labels; metricName: string }[] {
    const out: { value: number; labels: Labels; metricName: string }[] = [];
    for (const { labels, s } of this.series.values()) {
      let acc = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        acc += s.counts[i] as number;
        const le = i < this.bounds.length ? (this.bounds[i] as number) : '+Inf';
        out.push({ value: acc, labels: { ...labels, le }, metricName: `${name}_bucket` });
      }
      out.push({ value: s.sum, labels, metricName: `${name}_sum` }, { value: s.count, labels, metricName: `${name}_count` });
    }
    return out;
  }
}

/**
 * Counts by two labels (e.g. subject and source): `add(a, b)` per event looks up two Maps (no allocation once a
 * pair was seen); `samples()` for a scraped counter.
 */
export class PairCounts {
  private readonly m = new Map<string, Map<string, number>>();
  constructor(
    readonly labelA: string,
    readonly labelB: string,
  ) {}
  add(a: string, b: string, n = 1): void {
    let inner = this.m.get(a);
    if (!inner) this.m.set(a, (inner = new Map()));
    inner.set(b, (inner.get(b) ?? 0) + n);
  }
  get(a: string, b: string): number {
    return this.m.get(a)?.get(b) ?? 0;
  }
  /** the total over every pair */
  total(): number {
    let n = 0;
    for (const inner of this.m.values()) for (const v of inner.values()) n += v;
    return n;
  }
  *samples(): Iterable<Sample> {
    for (const [a, inner] of this.m) for (const [b, v] of inner) yield [{ [this.labelA]: a, [this.labelB]: b }, v];
  }
}
