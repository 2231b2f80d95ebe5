/**
 * Helpers of cluster-order.test.ts (not part of the public API): the stream leader of a
 * local cluster (polled in the background so a kill can be sent synchronously, inside the publisher's
 * unconfirmed window), kills with a restart, and the order check of a stream read back.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { LocalNatsCluster } from './server.js';
import { readStream, sleep } from './test-util.js';

export interface KillPlan {
  /** the kill is armed at this event index (sent at the first index from here where the cluster is healthy) */
  at: number;
  /** inside: the publisher has events unconfirmed when the leader dies; outside: flushed first (nothing in flight) */
  inside: boolean;
}

/** `kills` kill points spread over `n` events, one per slice at a random place; inside/outside mixed (both kinds when kills >= 2) */
export function killPlan(n: number, kills: number, rnd: () => number): KillPlan[] {
  const kinds = Array.from({ length: kills }, (_, k) => (k === 0 ? true : k === 1 ? false : rnd() < 0.5));
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] as boolean, kinds[i] as boolean];
  }
  return kinds.map((inside, k) => ({ at: Math.floor((n * (k + 0.1 + 0.8 * rnd())) / kills), inside }));
}

/**
 * Polls MARKET_DATA's cluster info every 200 ms: the current leader's index, and whether the stream is
 * healthy (a leader and every replica current), so a kill needs no API call at the moment it is sent.
 */
export class LeaderWatch {
  leader = -1;
  leaderName = '';
  healthy = false;
  private stopped = false;
  private readonly loop: Promise<void>;
  constructor(
    private readonly nc: NatsConnection,
    private readonly cl: LocalNatsCluster,
  ) {
    this.loop = this.run();
  }
  private async run(): Promise<void> {
    const jsm = await jetstreamManager(this.nc, { timeout: 1000 });
    while (!this.stopped) {
      try {
        const c = (await jsm.streams.info('MARKET_DATA')).cluster;
        const name = c?.leader ?? '';
        this.leader = this.cl.servers.findIndex((_s, i) => name.endsWith(`-${i + 1}`));
        this.leaderName = name;
        const replicas = c?.replicas ?? [];
        this.healthy = this.leader >= 0 && replicas.length === this.cl.servers.length - 1 && replicas.every((r) => r.current && !r.offline);
      } catch {
        this.healthy = false;
      }
      await sleep(200);
    }
  }
  /** until healthy (a leader, every replica current), at most timeoutMs */
  async untilHealthy(timeoutMs: number): Promise<boolean> {
    const end = performance.now() + timeoutMs;
    while (!this.healthy && performance.now() < end) await sleep(50);
    return this.healthy;
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

export interface OrderResult {
  stored: number;
  distinct: number;
  /** stream positions holding another event than the publish order's */
  displaced: number;
  /** first stream position that differs from the publish order, -1 when identical */
  first: number;
  /** around the first difference: `stream seq:publish index` */
  around: string;
}

/** Reads the stream back (an independent client) and compares its order of msg ids with the publish order. */
export async function checkOrder(nc: NatsConnection, published: readonly string[]): Promise<OrderResult> {
  const msgs = await readStream(nc, 'MARKET_DATA');
  const index = new Map(published.map((id, i) => [id, i]));
  const got = msgs.map((m) => index.get(m.msgId ?? '') ?? -1);
  let displaced = 0;
  let first = -1;
  got.forEach((g, i) => {
    if (g !== i) {
      displaced++;
      if (first < 0) first = i;
    }
  });
  const from = Math.max(0, first - 3);
  const around =
    first < 0
      ? ''
      : got
          .slice(from, first + 5)
          .map((g, k) => `${msgs[from + k]?.seq}:${g}`)
          .join(' ');
  return { stored: msgs.length, distinct: new Set(got).size, displaced, first, around };
}

/**
 * Diagnosis (CLUSTER_ORDER_TRACE): record what the publisher's connection sends (msg id, reply token
 * `seq.attempt`), every reply on its inbox (status code, PubAck body with stream seq / duplicate / error)
 * and the connection's status events with the server it is on; `lines` gets `<ms> <what>`. Returns the clock.
 */
export function traceConnection(nc: NatsConnection, lines: string[]): () => string {
  const t0 = performance.now();
  const t = () => (performance.now() - t0).toFixed(1);
  const td = new TextDecoder();
  const publish = nc.publish.bind(nc);
  nc.publish = ((subject: string, data?: Uint8Array, opts?: Parameters<NatsConnection['publish']>[2]) => {
    lines.push(`${t()} SEND ${opts?.headers?.get('Nats-Msg-Id') ?? subject} reply=${opts?.reply?.split('.').slice(-2).join('.') ?? '-'}`);
    publish(subject, data, opts);
  }) as NatsConnection['publish'];
  const subscribe = nc.subscribe.bind(nc);
  nc.subscribe = ((subject: string, opts?: Parameters<NatsConnection['subscribe']>[1]) => {
    const cb = opts?.callback;
    if (!cb) return subscribe(subject, opts);
    return subscribe(subject, {
      ...opts,
      callback: (err, m) => {
        lines.push(`${t()} REPLY ${m.subject.split('.').slice(-2).join('.')} code=${m.headers?.code ?? 0} ${td.decode(m.data)}`);
        cb(err, m);
      },
    });
  }) as NatsConnection['subscribe'];
  void (async () => {
    for await (const s of nc.status()) lines.push(`${t()} STATUS ${s.type} on ${nc.getServer()}`);
  })().catch(() => undefined);
  return t;
}
