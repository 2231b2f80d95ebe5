/**
 * Idempotent provisioning of the MARKET_DATA stream; an existing stream with another config is reported
 * (refused, or accepted as it is by the `acceptExisting` policy), never changed.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import {
  DiscardPolicy,
  JetStreamApiError,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { STREAM_NAME, STREAM_SUBJECTS } from '@md/event-types';
import { JetStreamUnavailableError, StreamConfigMismatchError, type StreamConfigDifference } from './errors.js';

// the stream name and subjects are the event contract's (@md/event-types STREAM_NAME / STREAM_SUBJECTS)
export const DEFAULT_MAX_AGE_NS = 24n * 3600n * 1_000_000_000n;
export const DEFAULT_DUPLICATE_WINDOW_NS = 120n * 1_000_000_000n;

export interface StreamConfigInput {
  /** default STREAM_NAME of @md/event-types (MARKET_DATA) */
  name?: string;
  /** default STREAM_SUBJECTS of @md/event-types (['market.>']) */
  subjects?: string[];
  /** default 24 h */
  maxAgeNs?: bigint;
  /** default 2 min */
  duplicateWindowNs?: bigint;
  /** default 1 */
  replicas?: number;
  /** default 'file' */
  storage?: 'file' | 'memory';
  /**
   * What to do with an existing stream whose config differs (it is never changed):
   * - 'exact' (default): any difference throws StreamConfigMismatchError;
   * - 'operational': differences in num_replicas, max_age and duplicate_window (an operator's choices: a
   *   replicated stream, a longer retention) are accepted and listed in `differences`; others throw;
   * - 'subjects': any stream with the same subjects is accepted as it is (the replay-publisher's policy).
   */
  acceptExisting?: 'exact' | 'operational' | 'subjects';
}

/** fields an 'operational' acceptExisting policy tolerates on an existing stream */
export const OPERATIONAL_STREAM_FIELDS: readonly string[] = ['num_replicas', 'max_age', 'duplicate_window'];

export interface EnsureStreamResult {
  action: 'created' | 'exists';
  info: StreamInfo;
  /** how the existing stream differs from the wanted config (accepted by `acceptExisting`); [] otherwise */
  differences: StreamConfigDifference[];
}

function nsToNumber(field: string, v: bigint): number {
  if (v <= 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`stream ${field} must be > 0 and <= ${Number.MAX_SAFE_INTEGER} ns, got ${v}`);
  }
  return Number(v);
}

/** The StreamConfig that ensureStream creates for `cfg` (limits retention, discard old). */
export function desiredStreamConfig(cfg: StreamConfigInput = {}): Partial<StreamConfig> & { name: string } {
  const maxAge = cfg.maxAgeNs ?? DEFAULT_MAX_AGE_NS;
  const dup = cfg.duplicateWindowNs ?? DEFAULT_DUPLICATE_WINDOW_NS;
  if (dup > maxAge) {
    throw new RangeError(`stream duplicate window (${dup} ns) must not exceed its max age (${maxAge} ns)`);
  }
  const replicas = cfg.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
    throw new RangeError(`stream replicas must be an integer from 1 to 5, got ${replicas}`);
  }
  return {
    name: cfg.name ?? STREAM_NAME,
    subjects: [...(cfg.subjects ?? STREAM_SUBJECTS)],
    retention: RetentionPolicy.Limits,
    storage: (cfg.storage ?? 'file') === 'file' ? StorageType.File : StorageType.Memory,
    max_age: nsToNumber('max age', maxAge),
    duplicate_window: nsToNumber('duplicate window', dup),
    num_replicas: replicas,
    discard: DiscardPolicy.Old,
  };
}

/** Differences between the wanted config and an existing stream's config (only the fields we set). */
export function diffStreamConfig(want: Partial<StreamConfig>, have: Partial<StreamConfig>): StreamConfigDifference[] {
  const out: StreamConfigDifference[] = [];
  const sortedEq = (a: string[] = [], b: string[] = []) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
  if (!sortedEq(want.subjects, have.subjects)) out.push({ field: 'subjects', expected: want.subjects, actual: have.subjects ?? [] });
  for (const f of ['retention', 'storage', 'max_age', 'duplicate_window', 'num_replicas', 'discard'] as const) {
    if (want[f] !== undefined && want[f] !== have[f]) out.push({ field: f, expected: want[f], actual: have[f] });
  }
  return out;
}

/** the JetStream manager of `nc`; JetStreamUnavailableError when the server (or account) has no JetStream */
export async function manager(nc: NatsConnection): Promise<JetStreamManager> {
  try {
    return await jetstreamManager(nc);
  } catch (err) {
    throw new JetStreamUnavailableError(
      `JetStream is not available on ${nc.getServer()} (start nats-server with -js): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

const isNotFound = (e: unknown) => e instanceof JetStreamApiError && (e.code === 10059 || /not found/i.test(e.message));
const isAlreadyInUse = (e: unknown) => e instanceof JetStreamApiError && (e.code === 10058 || /already in use/i.test(e.message));

/**
 * Create the stream if it does not exist (with `replicas`: on a cluster e.g. 3); if it does, compare its
 * config (subjects, retention, storage, max age, duplicate window, replicas, discard): differences the
 * `acceptExisting` policy does not tolerate throw StreamConfigMismatchError, tolerated ones are returned in
 * `differences` (the stream is used as it is).
 */
export async function ensureStream(nc: NatsConnection, cfg: StreamConfigInput = {}): Promise<EnsureStreamResult> {
  const want = desiredStreamConfig(cfg);
  const policy = cfg.acceptExisting ?? 'exact';
  if (!['exact', 'operational', 'subjects'].includes(policy)) {
    throw new RangeError(`acceptExisting must be 'exact', 'operational' or 'subjects', got ${JSON.stringify(policy)}`);
  }
  const tolerated = (d: StreamConfigDifference) =>
    policy === 'subjects' ? d.field !== 'subjects' : policy === 'operational' ? OPERATIONAL_STREAM_FIELDS.includes(d.field) : false;
  const jsm = await manager(nc);
  const check = (info: StreamInfo): EnsureStreamResult => {
    const diff = diffStreamConfig(want, info.config);
    if (diff.some((d) => !tolerated(d))) throw new StreamConfigMismatchError(want.name, diff);
    return { action: 'exists', info, differences: diff };
  };
  try {
    return check(await jsm.streams.info(want.name));
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  try {
    const info = await jsm.streams.add(want);
    return { action: 'created', info, differences: [] };
  } catch (e) {
    // created concurrently by someone else: compare with theirs
    if (isAlreadyInUse(e)) return check(await jsm.streams.info(want.name));
    throw e;
  }
}
