import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { FAKE_API_KEY, FakeVendor } from '@md/test-support/fake-vendor';
import { Tape, itemOf, type TapeEvent } from '@md/test-support/tape';

const OPT = 'O:SPY251216C00676000';
const OPT2 = 'O:SPY251216P00675000';

/** a `ws` client that authenticates, subscribes and keeps the data elements (as text) and frames it gets */
class Client {
  readonly elements: string[] = [];
  readonly frames: unknown[][] = [];
  readonly ws: WebSocket;
  private acks = 0;
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data: Buffer) => {
      const arr = JSON.parse(data.toString()) as { ev: string }[];
      const dataEls = arr.filter((m) => m.ev !== 'status');
      if (dataEls.length) this.frames.push(dataEls);
      for (const m of dataEls) this.elements.push(JSON.stringify(m));
      this.acks += arr.filter((m) => m.ev === 'status').length;
    });
  }
  /** open, auth, subscribe; resolves on the acks */
  async ready(items: string): Promise<this> {
    await new Promise<void>((r, j) => {
      this.ws.once('open', () => r());
      this.ws.once('error', j);
    });
    this.ws.send(JSON.stringify({ action: 'auth', params: FAKE_API_KEY }));
    this.ws.send(JSON.stringify({ action: 'subscribe', params: items }));
    const want = 2 + items.split(',').length;
    while (this.acks < want) await new Promise((r) => setTimeout(r, 5));
    return this;
  }
}

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});
async function fake(): Promise<FakeVendor> {
  const fv = await FakeVendor.start();
  cleanups.push(() => fv.close());
  return fv;
}
async function client(fv: FakeVendor, market: string, items: string): Promise<Client> {
  const c = new Client(fv.url(market));
  cleanups.push(() => c.ws.terminate());
  return c.ready(items);
}
/** a clock that runs `speed` times real time from the tape's start (so a 4 s tape plays in 1 s) */
function fastClock(startMs: number, speed: number): () => number {
  const t0 = Date.now();
  return () => startMs + (Date.now() - t0) * speed;
}
const texts = (tape: Tape, xs: readonly TapeEvent[]) => xs.map((e) => tape.wsElement(e));

describe('FakeVendor.play', () => {
  it('sends each due event to the subscribers of its item (T.* too), one frame per tick; unsubscribed events are missed', async () => {
    const fv = await fake();
    const start = 1765898100000;
    const tape = Tape.generate({ seed: 21, startMs: start, durationMs: 4000, rate: 500, optionSymbols: [OPT, OPT2] });
    const spyT = await client(fv, 'stocks', 'T.SPY');
    const opts = await client(fv, 'options', `T.*,Q.${OPT}`);
    const both = await client(fv, 'stocks', 'T.SPY,Q.SPY');
    expect(fv.connectionsOpen('stocks')).toBe(2);
    expect(fv.connectionsOpen('options')).toBe(1);
    const p = fv.play(tape, { clock: fastClock(start - 100, 4), frameMs: 20 });
    await p.done;
    await fv.waitFor(() => spyT.elements.length + opts.elements.length + both.elements.length === p.sent.total, 5000, 'all frames');
    const sel = (pred: (e: TapeEvent) => boolean) => tape.events.filter(pred);
    expect(spyT.elements).toEqual(
      texts(
        tape,
        sel((e) => itemOf(e) === 'T.SPY'),
      ),
    );
    expect(both.elements).toEqual(
      texts(
        tape,
        sel((e) => e.sym === 'SPY'),
      ),
    );
    expect(opts.elements).toEqual(
      texts(
        tape,
        sel((e) => e.sym.startsWith('O:') && (e.kind === 'T' || e.sym === OPT)),
      ),
    );
    const missed = sel((e) => itemOf(e) === `Q.${OPT2}`);
    expect(p.missed).toBe(missed.length);
    expect(p.missedEvents).toEqual(missed);
    expect(p.delivered.length + p.missed).toBe(tape.events.length);
    expect(p.sent.byConn.get(1)).toBe(spyT.elements.length);
    expect(p.sent.byConn.get(2)).toBe(opts.elements.length);
    expect(p.sent.byConn.get(3)).toBe(both.elements.length);
    // bursts: a 4x clock with 20 ms ticks puts many events in one frame, and never more frames than ticks
    expect(both.frames.some((f) => f.length > 3)).toBe(true);
    expect(both.frames.length).toBeLessThan(both.elements.length);
    expect(p.frames).toBe(spyT.frames.length + opts.frames.length + both.frames.length);
  });

  it('counts as missed what falls due while the connection is down, never sends it later; maxConcurrent per market', async () => {
    const fv = await fake();
    const start = Date.now() + 150;
    const tape = Tape.generate({ seed: 22, startMs: start, durationMs: 1500, rate: 600, optionSymbols: [OPT] });
    const first = await client(fv, 'stocks', 'T.SPY,Q.SPY');
    let second: Promise<Client> | null = null;
    let dropAt = 0;
    let reconnectAt = 0;
    const p = fv.play(tape, {
      market: 'stocks',
      onTick: (_p, now) => {
        if (!dropAt && now >= start + 500) {
          dropAt = now;
          fv.dropAll('stocks');
        }
        if (dropAt && !second && now >= start + 900) {
          reconnectAt = now;
          second = client(fv, 'stocks', 'T.SPY,Q.SPY');
        }
      },
    });
    await p.done;
    const c2 = await second!;
    await fv.waitFor(() => first.elements.length + c2.elements.length === p.sent.total, 5000, 'frames');
    expect(p.played.every((e) => e.sym === 'SPY')).toBe(true); // market: 'stocks' plays no option event
    // first got a prefix, c2 a suffix, the rest was missed, and nothing is in two places
    const all = texts(tape, p.played);
    const k1 = first.elements.length;
    const k2 = c2.elements.length;
    expect(k1).toBeGreaterThan(0);
    expect(k2).toBeGreaterThan(0);
    expect(first.elements).toEqual(all.slice(0, k1));
    expect(c2.elements).toEqual(all.slice(all.length - k2));
    expect(p.missed).toBe(all.length - k1 - k2);
    expect(texts(tape, p.missedEvents)).toEqual(all.slice(k1, all.length - k2));
    // the missed events are those that fell due between the drop and the new subscription
    expect(p.missedEvents[0]!.sipNs).toBeGreaterThan(BigInt(dropAt - 200) * 1_000_000n);
    expect(JSON.parse(first.elements.at(-1)!).t).toBeLessThanOrEqual(dropAt);
    expect(JSON.parse(c2.elements[0]!).t).toBeGreaterThan(reconnectAt); // what fell due before it subscribed is gone
    expect(fv.maxConcurrent.stocks).toBe(1);
    expect(fv.maxConcurrent.options).toBeUndefined();
    expect(fv.connectionsOpen('stocks')).toBe(1);
    // two at once are counted
    await client(fv, 'stocks', 'T.SPY');
    expect(fv.maxConcurrent.stocks).toBe(2);
    expect(fv.connectionsOpen('stocks')).toBe(2);
  });

  it('stop() ends a player early; close() stops the players', async () => {
    const fv = await fake();
    const tape = Tape.generate({ seed: 23, startMs: Date.now(), durationMs: 60_000, rate: 10 });
    const p = fv.play(tape);
    await new Promise((r) => setTimeout(r, 100));
    p.stop();
    await p.done;
    const pos = p.position;
    expect(pos).toBeLessThan(tape.events.length);
    await new Promise((r) => setTimeout(r, 100));
    expect(p.position).toBe(pos);
    expect(p.missed).toBe(pos); // nobody subscribed
    const q = fv.play(tape);
    await fv.close();
    await q.done;
    cleanups.length = 0;
  });
});
