/**
 * The publisher's order chain on a real single server (fast, deterministic): a message lost in flight while
 * later ones of the same pipeline are stored (what a stream leader change does on a cluster) is injected by
 * dropping one publish before it reaches the socket. Without the chain the stream order breaks (the lost
 * event is stored after its successors once re-sent); with it the successors are refused (err_code 10070)
 * until the lost one is stored, and the re-sends keep the order. Also: another writer on the same stream
 * (re-anchor, then a pause), and the parsing of the 10070 error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headers } from '@nats-io/transport-node';
import { connectBus, ensureStream, JetStreamPublisher, type NatsConnection } from './index.js';
import { startNatsServer, type LocalNatsServer } from './testing.js';
import { OrderChain, wrongLastMsgId } from './publisher-chain.js';
import { fakeBody, readStream } from './test-util.js';
import { jetstreamManager } from '@nats-io/jetstream';

let server: LocalNatsServer;
let nc: NatsConnection;
beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectBus({ servers: server.url });
}, 60_000);
afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

async function freshStream(): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete('MARKET_DATA').catch(() => undefined);
  await ensureStream(nc);
}

/** a connection whose publish() silently drops the first send of each msg id in `lost` (a message lost in flight) */
async function lossyConnection(lost: Set<string>): Promise<NatsConnection> {
  const c = await connectBus({ servers: server.url });
  const orig = c.publish.bind(c);
  c.publish = ((subject: string, data?: Uint8Array, opts?: Parameters<NatsConnection['publish']>[2]) => {
    const id = opts?.headers?.get('Nats-Msg-Id') ?? '';
    if (lost.delete(id)) return; // first send of this id: gone
    orig(subject, data, opts);
  }) as NatsConnection['publish'];
  return c;
}

async function storedIds(): Promise<string[]> {
  return (await readStream(nc, 'MARKET_DATA')).map((m) => m.msgId ?? '');
}

describe('order chain (Nats-Expected-Last-Msg-Id)', () => {
  for (const chain of [false, true]) {
    it(`an event lost in flight while later ones are stored: chain ${chain} -> ${chain ? 'order kept' : 'order broken (the failure the chain prevents)'}`, async () => {
      await freshStream();
      const N = 3000;
      const c = await lossyConnection(new Set(['o-1000', 'o-1001', 'o-2500']));
      const logs: string[] = [];
      const pub = new JetStreamPublisher(c, { mode: 'ack', chain, ackTimeoutMs: 800, log: (m) => logs.push(m) });
      const ids = Array.from({ length: N }, (_, i) => `o-${i}`);
      for (const [i, id] of ids.entries()) await pub.publishEncoded('market.futures.trades', fakeBody(i), id, 'futures.trades.v1');
      await pub.close();
      await c.close();
      expect(pub.stats, logs.join('\n')).toMatchObject({ published: N, acked: N, failed: 0 });
      const got = await storedIds();
      expect(new Set(got).size).toBe(N);
      const first = got.findIndex((id, i) => id !== ids[i]);
      console.log(
        `chain ${chain}: ${N} events, 3 lost in flight; ${pub.stats.retried} re-sends; first order difference at ${first}; chain ${JSON.stringify(pub.chainStats)}`,
      );
      if (chain) {
        expect(got).toEqual(ids);
        expect(pub.chainStats).toMatchObject({ enabled: true, anchors: 0, pauses: 0 });
        expect(logs.some((l) => /wrong last msg ID/.test(l))).toBe(true); // the successors were refused, then re-sent
      } else {
        expect(first).toBeGreaterThanOrEqual(1000); // o-1000 stored behind its successors
      }
    }, 60_000);
  }

  it('a foreign message between two events: the probe re-anchors on it, the chain goes on, every event once, in order', async () => {
    await freshStream();
    const logs: string[] = [];
    const pub = new JetStreamPublisher(nc, { mode: 'ack', chain: true, log: (m) => logs.push(m) });
    for (let i = 0; i < 100; i++) await pub.publishEncoded('market.futures.trades', fakeBody(i), `a-${i}`, 'futures.trades.v1');
    await pub.flush();
    const h = headers();
    h.set('Nats-Msg-Id', 'foreign-1');
    await (await import('@nats-io/jetstream')).jetstream(nc).publish('market.futures.mbp10', fakeBody(0), { headers: h });
    for (let i = 100; i < 300; i++) await pub.publishEncoded('market.futures.trades', fakeBody(i), `a-${i}`, 'futures.trades.v1');
    await pub.close();
    expect(pub.stats).toMatchObject({ published: 300, acked: 300, failed: 0 });
    expect(pub.chainStats).toMatchObject({ anchors: 1, pauses: 0, armed: true });
    const got = await storedIds();
    expect(got).toEqual([
      ...Array.from({ length: 100 }, (_, i) => `a-${i}`),
      'foreign-1',
      ...Array.from({ length: 200 }, (_, i) => `a-${i + 100}`),
    ]);
  }, 30_000);

  it('two publishers writing the same stream at once: the chain pauses; every event of both stored once, nothing failed', async () => {
    await freshStream();
    const logs: string[] = [];
    const mk = (name: string) =>
      new JetStreamPublisher(nc, { mode: 'ack', chain: true, chainPauseMs: 60_000, log: (m) => logs.push(`${name}: ${m}`) });
    const [p, q] = [mk('replay'), mk('live')];
    const N = 4000;
    const feed = async (pub: JetStreamPublisher, tag: string, subject: string) => {
      for (let i = 0; i < N; i++) {
        await pub.publishEncoded(subject, fakeBody(i), `${tag}-${i}`, 'futures.trades.v1');
        if (i % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      await pub.close();
    };
    const t0 = performance.now();
    await Promise.all([feed(p, 'r', 'market.futures.trades'), feed(q, 'l', 'market.futures.trades')]);
    const ms = Math.round(performance.now() - t0);
    for (const pub of [p, q]) expect(pub.stats, logs.slice(-5).join('\n')).toMatchObject({ published: N, acked: N, failed: 0 });
    const got = await storedIds();
    expect(got.length).toBe(2 * N);
    expect(new Set(got).size).toBe(2 * N);
    const pauses = p.chainStats.pauses + q.chainStats.pauses;
    console.log(
      `two writers: ${2 * N} events in ${ms} ms; chain replay ${JSON.stringify(p.chainStats)}, live ${JSON.stringify(q.chainStats)}`,
    );
    expect(pauses).toBeGreaterThanOrEqual(1);
    expect(logs.some((l) => /another writer on the stream/.test(l))).toBe(true);
  }, 60_000);

  it("chain 'auto' (the ack-mode default) is off on a single server, so its path is what it was", async () => {
    const pubs = [new JetStreamPublisher(nc), new JetStreamPublisher(nc, { mode: 'batch' }), new JetStreamPublisher(nc, { chain: true })];
    expect(pubs.map((p) => p.chainStats.enabled)).toEqual([false, false, true]);
    for (const p of pubs) await p.close();
  });

  it('10070 parsing and the re-anchor budget', () => {
    expect(wrongLastMsgId({ code: 400, err_code: 10070, description: 'wrong last msg ID: a-99' })).toBe('a-99');
    expect(wrongLastMsgId({ code: 400, err_code: 10070, description: 'wrong last msg ID: ' })).toBe('');
    expect(wrongLastMsgId({ code: 400, err_code: 10071, description: 'wrong last sequence: 5' })).toBeNull();
    const c = new OrderChain({ enabled: true, maxAnchors: 3, anchorWindowMs: 1000, pauseMs: 5000 });
    expect(c.next('a', 0)).toBeNull(); // the first event expects nothing
    expect(c.next('b', 1)).toBe('a');
    expect([c.onMismatch(10), c.onMismatch(20), c.onMismatch(30)]).toEqual(['anchor', 'anchor', 'pause']);
    expect(c.next('c', 40)).toBeNull(); // paused
    expect(c.armed(5031)).toBe(true);
    expect(c.next('d', 5031)).toBe('c'); // re-armed: expects the event accepted before
    expect(c.onMismatch(9000)).toBe('anchor'); // the budget is per window
  });
});
