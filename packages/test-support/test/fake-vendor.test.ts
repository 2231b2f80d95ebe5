import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { FAKE_API_KEY, FakeVendor, type FakeVendorOptions } from '@md/test-support/fake-vendor';

/** a bare `ws` client that keeps every status frame it receives */
class Client {
  readonly frames: { ev: string; status?: string; message?: string }[][] = [];
  /** every frame as received: bytes and the binary flag */
  readonly raw: { data: Buffer; binary: boolean }[] = [];
  readonly ws: WebSocket;
  readonly closed: Promise<number>;
  constructor(url: string) {
    this.ws = new WebSocket(url, { skipUTF8Validation: true });
    this.ws.on('message', (data: Buffer, binary: boolean) => {
      this.raw.push({ data, binary });
      const text = data.toString();
      if (text.includes('"status"')) this.frames.push(JSON.parse(text));
    });
    this.closed = new Promise((r) => this.ws.on('close', (code) => r(code)));
  }
  opened(): Promise<void> {
    return new Promise((r, j) => {
      this.ws.once('open', () => r());
      this.ws.once('error', j);
    });
  }
  send(action: string, params: string): void {
    this.ws.send(JSON.stringify({ action, params }));
  }
  statuses(): string[] {
    return this.frames.flat().map((m) => `${m.status}: ${m.message}`);
  }
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});
async function fake(opts: FakeVendorOptions = {}): Promise<FakeVendor> {
  const fv = await FakeVendor.start(opts);
  cleanups.push(() => fv.close());
  return fv;
}
async function client(fv: FakeVendor, market = 'stocks'): Promise<Client> {
  const c = new Client(fv.url(market));
  cleanups.push(async () => c.ws.terminate());
  await c.opened();
  return c;
}

describe('FakeVendor', () => {
  it('speaks the protocol: connected, auth, per-item subscribe/unsubscribe acks, every client message recorded', async () => {
    const fv = await fake();
    expect(fv.url('options')).toBe(`ws://127.0.0.1:${fv.port}/options`);
    const c = await client(fv);
    await fv.waitFor(() => c.frames.length === 1, 5000, 'connected');
    c.send('subscribe', 'T.SPY'); // before auth: refused
    c.send('auth', FAKE_API_KEY);
    c.send('subscribe', 'T.SPY,Q.SPY');
    c.send('unsubscribe', 'Q.SPY');
    await fv.waitFor(() => c.frames.length === 5, 5000, 'replies');
    expect(c.statuses()).toEqual([
      'connected: Connected Successfully',
      'auth_required: Please authenticate before subscribing.',
      'auth_success: authenticated',
      'success: subscribed to: T.SPY',
      'success: subscribed to: Q.SPY',
      'success: unsubscribed to: Q.SPY',
    ]);
    expect([...fv.subscriptions('stocks')]).toEqual(['T.SPY']);
    expect(fv.subscriptions('options').size).toBe(0);
    expect(fv.authAttempts).toBe(1);
    expect(fv.messages.map((m) => [m.conn, m.market, m.action, m.params])).toEqual([
      [1, 'stocks', 'subscribe', 'T.SPY'],
      [1, 'stocks', 'auth', FAKE_API_KEY],
      [1, 'stocks', 'subscribe', 'T.SPY,Q.SPY'],
      [1, 'stocks', 'unsubscribe', 'Q.SPY'],
    ]);
    expect(fv.live('stocks').map((x) => x.id)).toEqual([1]);
  });

  it('auth modes: a wrong key and "fail" -> auth_failed and close 1008; "plan" names the missing WebSocket access', async () => {
    for (const [opts, key, text] of [
      [{}, 'wrong-key', 'authentication failed'],
      [{ auth: 'fail' }, FAKE_API_KEY, 'authentication failed'],
      [{ auth: 'plan' }, FAKE_API_KEY, "Your plan doesn't include websocket access"],
    ] as const) {
      const fv = await fake(opts);
      const c = await client(fv);
      c.send('auth', key);
      expect(await c.closed).toBe(1008);
      expect(c.statuses().at(-1)).toContain(`auth_failed: ${text}`);
      expect(fv.live('stocks')).toEqual([]);
    }
  });

  it('refuse: matching items get "not authorized"; maxConnectionsPerMarket: the extra connection gets max_connections', async () => {
    const fv = await fake({ refuse: /^Q\./, maxConnectionsPerMarket: 1 });
    const a = await client(fv);
    a.send('auth', FAKE_API_KEY);
    a.send('subscribe', 'T.SPY,Q.SPY');
    await fv.waitFor(() => a.frames.length === 3, 5000, 'acks');
    expect(a.statuses().slice(2)).toEqual(['success: subscribed to: T.SPY', 'error: not authorized']);
    const b = await client(fv);
    b.send('auth', FAKE_API_KEY);
    expect(await b.closed).toBe(1008);
    expect(b.statuses().at(-1)).toMatch(/^max_connections: Maximum number of websocket connections exceeded/);
    expect(fv.live('stocks').map((x) => x.id)).toEqual([1]);
  });

  it('broadcast reaches the authenticated connections of a market (a Buffer as a TEXT frame, bytes as is); dropAll cuts them', async () => {
    const fv = await fake();
    const [a, b, o] = [await client(fv), await client(fv), await client(fv, 'options')];
    for (const c of [a, o]) c.send('auth', FAKE_API_KEY);
    await fv.waitFor(() => a.frames.length === 2 && o.frames.length === 2 && b.frames.length === 1, 5000, 'auth');
    expect(fv.broadcast('stocks', '[{"ev":"T"}]')).toBe(1); // b is not authenticated
    expect(fv.broadcast('stocks', Buffer.from([0x5b, 0xff, 0x5d]))).toBe(1);
    await fv.waitFor(() => a.raw.length === 4, 5000, 'frames');
    expect(b.raw).toHaveLength(1); // only "connected"
    expect(a.raw.slice(2).map((r) => [r.data.toString('hex'), r.binary])).toEqual([
      [Buffer.from('[{"ev":"T"}]').toString('hex'), false],
      ['5bff5d', false],
    ]);
    expect(fv.live('stocks')[0]?.framesSent).toBe(4); // connected, auth_success, the two frames
    fv.dropAll('stocks');
    expect(await a.closed).toBe(1006); // no close frame: like a network cut
    expect(await b.closed).toBe(1006);
    expect(fv.live('options')).toHaveLength(1);
  });

  it('autoPong false: pings go unanswered (the client idle watchdog case)', async () => {
    for (const autoPong of [true, false]) {
      const fv = await fake({ autoPong });
      const c = await client(fv);
      let pongs = 0;
      c.ws.on('pong', () => pongs++);
      c.ws.ping();
      await new Promise((r) => setTimeout(r, 200));
      expect(pongs).toBe(autoPong ? 1 : 0);
    }
  });

  it('waitFor resolves when the condition holds and names it when it times out', async () => {
    const fv = await fake();
    await fv.waitFor(() => true);
    await expect(fv.waitFor(() => false, 100, 'nothing')).rejects.toThrow('fake vendor: timed out after 100 ms waiting for nothing');
  });
});
