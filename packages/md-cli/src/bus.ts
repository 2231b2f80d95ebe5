/**
 * What both commands need from NATS: the connection (@md/nats-bus's busOptionsFromEnv / connectBus, the apps'
 * environment), the stream's state, where a subject set ends, and where its last N messages begin.
 */
import { AckPolicy, DeliverPolicy, JetStreamApiError, jetstreamManager, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { busOptionsFromEnv, connectBus, lastMessageOn, type BusOptions, type NatsConnection } from '@md/nats-bus';
import type { Env } from '@md/app-kit';
import { patternsOverlap } from './subjects.js';

/** an error the command reports as is (exit 1), its message already free of secrets */
export class MdError extends Error {
  override readonly name = 'MdError';
}

/** the apps' NATS options: the environment's NATS_* values, NATS_URL replaced by --nats-url when given */
export function mdBusOptions(natsUrl: string | null, env: Env, log?: (m: string) => void): BusOptions {
  const o = busOptionsFromEnv(env as NodeJS.ProcessEnv);
  if (natsUrl !== null) o.servers = natsUrl;
  return { ...o, name: 'md', log };
}

export async function openBus(opts: BusOptions): Promise<NatsConnection> {
  return connectBus(opts); // BusConnectError: the servers named, secrets redacted
}

/** the stream's info; MdError when it does not exist */
export async function streamInfo(jsm: JetStreamManager, stream: string): Promise<StreamInfo> {
  try {
    return await jsm.streams.info(stream);
  } catch (e) {
    if (e instanceof JetStreamApiError && (e.code === 10059 || /not found/i.test(e.message))) {
      const names: string[] = [];
      for await (const n of jsm.streams.names()) names.push(n);
      throw new MdError(
        `stream ${stream} not found (streams on this server: ${names.length ? names.join(', ') : 'none'}; --stream / MD_STREAM)`,
      );
    }
    throw e;
  }
}

export async function manager(nc: NatsConnection): Promise<JetStreamManager> {
  try {
    return await jetstreamManager(nc);
  } catch (e) {
    throw new MdError(`JetStream is not available on ${nc.getServer()}: ${(e as Error).message}`);
  }
}

/** MdError for a pattern no subject of the stream can match */
export function checkPatternsInStream(info: StreamInfo, patterns: readonly string[], hintFor?: (p: string) => string): void {
  const subjects = info.config.subjects ?? [];
  for (const p of patterns) {
    if (!subjects.some((s) => patternsOverlap(s, p))) {
      throw new MdError(`${p} is not stored in stream ${info.config.name} (its subjects: ${subjects.join(', ')})${hintFor?.(p) ?? ''}`);
    }
  }
}

/** the last stream sequence holding a message on one of `patterns` (all: the stream's last), 0 when none */
export async function endSeq(nc: NatsConnection, info: StreamInfo, patterns: readonly string[]): Promise<number> {
  if (patterns.length === 0) return info.state.messages === 0 ? 0 : info.state.last_seq;
  let end = 0;
  for (const p of patterns) end = Math.max(end, (await lastMessageOn(nc, info.config.name, p))?.seq ?? 0);
  return end;
}

/** how many messages on `pattern` (undefined: all) the stream holds at or after `seq`: an ephemeral consumer's num_pending */
async function pendingFrom(jsm: JetStreamManager, stream: string, seq: number, pattern: string | undefined): Promise<number> {
  const ci = await jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: seq,
    inactive_threshold: 5_000_000_000, // ns: gone by itself if the delete below is lost
    mem_storage: true,
    ...(pattern !== undefined ? { filter_subject: pattern } : {}),
  });
  await jsm.consumers.delete(stream, ci.name).catch(() => undefined);
  return ci.num_pending;
}

/**
 * The stream sequence to start at for the last `n` messages on `patterns` (all of the stream when empty): the
 * largest sequence from which at least `n` remain. Without patterns and without deleted messages it is
 * arithmetic; otherwise a binary search over sequences with num_pending counts (about 2 * log2(messages)
 * consumer creations per pattern, on nats-server 2.9). Patterns that overlap count a message twice: fewer
 * than `n` are then shown.
 */
export async function startOfLast(jsm: JetStreamManager, info: StreamInfo, patterns: readonly string[], n: number): Promise<number> {
  const { first_seq: first, last_seq: last, messages } = info.state;
  if (n === 0 || messages === 0) return last + 1;
  if (patterns.length === 0 && last - first + 1 === messages) return Math.max(first, last - n + 1);
  const pending = async (seq: number) => {
    let sum = 0;
    for (const p of patterns.length ? patterns : [undefined]) sum += await pendingFrom(jsm, info.config.name, seq, p);
    return sum;
  };
  let lo = first;
  let hi = last;
  if ((await pending(lo)) <= n) return lo;
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if ((await pending(mid)) >= n) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
