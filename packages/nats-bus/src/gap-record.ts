/**
 * The durable record of the open gap windows of a hot-standby leader (docs/gap-free-live.md section 6): a NATS KV
 * bucket (default `md_live_gaps`, history 1, file storage, no per-message TTL: nats-server 2.9), one key per
 * window, `<scope>.gap.<gap id>` (the scope is the lease key, so the feeds sharing the bucket do not see each
 * other's windows), its value the window's announcement JSON as the leader wrote it (opaque here). The leader
 * writes a key when a window opens and deletes it when the window ends for good; every new leader lists the keys
 * of its scope at the start of its term and takes those windows over. What a value means is @md/live-engine's
 * (LiveHa); this only stores text.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, StorageType } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { NatsBusError } from './errors.js';

export const DEFAULT_GAP_BUCKET = 'md_live_gaps';
/** GapRecordsOptions.maxAgeMs: 1 day (a record nobody deleted is gone by the next trading day) */
export const DEFAULT_GAP_RECORD_MAX_AGE_MS = 86_400_000;

export interface GapRecordsOptions {
  /** KV bucket, default 'md_live_gaps' */
  bucket?: string;
  /** the keys' prefix: the lease key, e.g. 'live-ingestor.massive.realtime' (KV key tokens separated by dots) */
  scope: string;
  /** the bucket's max age when this creates it (default 1 day); 0: none */
  maxAgeMs?: number;
  /** replicas of the bucket when this creates it (default 1) */
  replicas?: number;
  /** the timeout of each operation (default 2000 ms) */
  timeoutMs?: number;
}

/** One stored record: the gap id (the key's last token) and the value as written. */
export interface GapRecord {
  id: string;
  value: string;
}

/** The gap records could not be set up (bad scope, JetStream unavailable). */
export class GapRecordError extends NatsBusError {
  override readonly name = 'GapRecordError';
}

const TOKEN = /^[-/_=a-zA-Z0-9]+$/;

export class GapRecords {
  readonly bucket: string;
  readonly scope: string;
  private constructor(
    private readonly kv: KV,
    opts: GapRecordsOptions,
  ) {
    this.bucket = opts.bucket ?? DEFAULT_GAP_BUCKET;
    this.scope = opts.scope;
  }

  /** Create (or bind) the bucket. */
  static async open(nc: NatsConnection, opts: GapRecordsOptions): Promise<GapRecords> {
    const bucket = opts.bucket ?? DEFAULT_GAP_BUCKET;
    if (!opts.scope || !opts.scope.split('.').every((t) => TOKEN.test(t))) {
      throw new GapRecordError(`gap records ${bucket}: scope must be KV key tokens separated by dots, got '${opts.scope}'`);
    }
    const maxAgeMs = opts.maxAgeMs ?? DEFAULT_GAP_RECORD_MAX_AGE_MS;
    try {
      const js = jetstream(nc, { timeout: opts.timeoutMs ?? 2000, checkAPI: false });
      // created with the connection's default timeouts (creating a stream on a busy server can take seconds)
      await new Kvm(nc).create(bucket, { history: 1, ttl: maxAgeMs, replicas: opts.replicas ?? 1, storage: StorageType.File });
      return new GapRecords(await new Kvm(js).open(bucket), opts);
    } catch (err) {
      throw new GapRecordError(`gap records ${bucket}: creating or binding the bucket: ${(err as Error).message}`, { cause: err });
    }
  }

  private key(id: string): string {
    if (!TOKEN.test(id)) throw new GapRecordError(`gap records ${this.bucket}: '${id}' is not a KV key token`);
    return `${this.scope}.gap.${id}`;
  }

  /** Write (or overwrite) the record of window `id`. */
  async put(id: string, value: string): Promise<void> {
    await this.kv.put(this.key(id), value);
  }

  /** Delete the record of window `id` (a no-op when there is none). */
  async delete(id: string): Promise<void> {
    await this.kv.delete(this.key(id));
  }

  /** Every record of this scope now (deleted ones left out). */
  async list(): Promise<GapRecord[]> {
    const prefix = `${this.scope}.gap.`;
    const keys: string[] = [];
    for await (const k of await this.kv.keys(`${prefix}>`)) keys.push(k);
    const out: GapRecord[] = [];
    for (const k of keys) {
      const e = await this.kv.get(k);
      if (e && e.operation === 'PUT') out.push({ id: k.slice(prefix.length), value: e.string() });
    }
    return out;
  }
}
