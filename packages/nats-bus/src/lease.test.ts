import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Kvm } from '@nats-io/kv';
import { connectBus, Lease, LeaseError, NatsBusError, type LeaseOptions, type NatsConnection } from './index.js';
import { startNatsServer, type LocalNatsServer } from './testing.js';
import { sleep } from './test-util.js';

/** polls `pred` every 5 ms until it holds; throws after `timeoutMs` naming `what` */
async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

interface Interval {
  holder: string;
  from: number;
  to: number;
}

/** a contender: its lease, its connection, and when (performance.now()) it acquired and lost the lease */
class Contender {
  readonly events: { at: number; kind: 'acquired' | 'lost'; why?: string }[] = [];
  lease!: Lease;
  constructor(
    readonly nc: NatsConnection,
    readonly name: string,
  ) {}
  static async open(nc: NatsConnection, name: string, opts: Partial<LeaseOptions> & { key: string }): Promise<Contender> {
    const c = new Contender(nc, name);
    c.lease = await Lease.open(nc, {
      holder: name,
      ...opts,
      onAcquired: () => c.events.push({ at: performance.now(), kind: 'acquired' }),
      onLost: (why) => c.events.push({ at: performance.now(), kind: 'lost', why }),
    });
    return c;
  }
  acquiredAt(n = 0): number | undefined {
    return this.events.filter((e) => e.kind === 'acquired')[n]?.at;
  }
  lostAt(n = 0): number | undefined {
    return this.events.filter((e) => e.kind === 'lost')[n]?.at;
  }
  /** the intervals it held the lease (an open one ends at `end`) */
  intervals(end: number): Interval[] {
    const out: Interval[] = [];
    let from: number | undefined;
    for (const e of this.events) {
      if (e.kind === 'acquired') from = e.at;
      else if (from !== undefined) {
        out.push({ holder: this.name, from, to: e.at });
        from = undefined;
      }
    }
    if (from !== undefined) out.push({ holder: this.name, from, to: end });
    return out;
  }
}

/** samples every 50 ms how many of `cs` consider themselves the holder; `max` is the largest count seen */
function sampler(cs: () => Contender[]) {
  let max = 0;
  let samples = 0;
  const t = setInterval(() => {
    samples++;
    max = Math.max(max, cs().filter((c) => c.lease.held).length);
  }, 50);
  return {
    stop: () => clearInterval(t),
    get max() {
      return max;
    },
    get samples() {
      return samples;
    },
  };
}

function expectNoOverlap(cs: Contender[]): void {
  const iv = cs.flatMap((c) => c.intervals(performance.now())).sort((a, b) => a.from - b.from);
  for (let i = 1; i < iv.length; i++) {
    const prev = iv[i - 1]!;
    const cur = iv[i]!;
    expect(
      cur.from,
      `${cur.holder} acquired at ${cur.from.toFixed(1)} while ${prev.holder} held until ${prev.to.toFixed(1)}`,
    ).toBeGreaterThanOrEqual(prev.to);
  }
}

/** a TCP proxy to `port` whose forwarding can be stopped (the connection stalls, nothing is closed) */
async function stallableProxy(
  port: number,
): Promise<{ url: string; stall(dir?: 'both' | 'down'): void; resume(): void; close(): Promise<void> }> {
  const pairs: [Socket, Socket][] = [];
  let stalled = false;
  const srv: Server = createServer((client) => {
    const up = createConnection({ host: '127.0.0.1', port });
    client.pipe(up);
    up.pipe(client);
    const end = () => {
      client.destroy();
      up.destroy();
    };
    client.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
    pairs.push([client, up]);
    if (stalled) {
      client.pause();
      up.pause();
    }
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  if (addr === null || typeof addr === 'string') throw new Error('proxy: no port');
  return {
    url: `nats://127.0.0.1:${addr.port}`,
    /** stop forwarding both ways, or only what the server sends ('down': requests arrive, answers do not) */
    stall(dir: 'both' | 'down' = 'both') {
      stalled = true;
      for (const [client, up] of pairs) {
        up.unpipe(client);
        up.pause();
        if (dir === 'both') {
          client.unpipe(up);
          client.pause();
        }
      }
    },
    resume() {
      stalled = false;
      for (const [client, up] of pairs) {
        client.unpipe(up);
        up.unpipe(client);
        client.pipe(up);
        up.pipe(client);
        client.resume();
        up.resume();
      }
    },
    async close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

describe('Lease', () => {
  let srv: LocalNatsServer;
  let admin: NatsConnection;
  const conns: NatsConnection[] = [];
  const contenders: Contender[] = [];
  let keyN = 0;
  // each test on its own key and bucket (a bucket's max age is its ttl), but the first on the default bucket
  let bucket: string | undefined;
  const newKey = (defaultBucket = false) => {
    keyN++;
    bucket = defaultBucket ? undefined : `lease_t${keyN}`;
    return `live-ingestor.test.k${keyN}`;
  };
  const conn = async (url = srv.url) => {
    const nc = await connectBus({ servers: url });
    conns.push(nc);
    return nc;
  };
  const contender = async (name: string, opts: Partial<LeaseOptions> & { key: string }, nc?: NatsConnection) => {
    const c = await Contender.open(nc ?? (await conn()), name, { bucket, ...opts });
    contenders.push(c);
    return c;
  };

  beforeAll(async () => {
    srv = await startNatsServer();
    admin = await connectBus({ servers: srv.url });
  });
  afterEach(async () => {
    for (const c of contenders.splice(0)) await c.lease.stop(false).catch(() => undefined);
    for (const nc of conns.splice(0)) await nc.close().catch(() => undefined);
  });
  afterAll(async () => {
    await admin?.close();
    await srv?.dispose();
  });

  it('of three contenders exactly one holds, refreshes, and the bucket names it', async () => {
    const key = newKey(true);
    const cs = await Promise.all(['a', 'b', 'c'].map((n) => contender(n, { key, ttlMs: 2000 })));
    const s = sampler(() => cs);
    for (const c of cs) c.lease.run();
    await until(() => cs.some((c) => c.lease.held), 3000, 'a holder');
    await sleep(2500); // several refreshes and standby attempts
    s.stop();
    const holders = cs.filter((c) => c.lease.held);
    expect(holders).toHaveLength(1);
    const h = holders[0]!;
    expect(s.max).toBe(1);
    expect(s.samples).toBeGreaterThan(40);
    expect(h.lease.stats).toMatchObject({ acquired: 1, lost: 0, refreshFailures: 0 });
    expect(h.lease.stats.refreshes).toBeGreaterThanOrEqual(3);
    for (const c of cs) if (c !== h) expect(c.lease.stats).toMatchObject({ acquired: 0, lost: 0, refreshes: 0 });
    const cur = await cs[0]!.lease.current();
    expect(cur?.holder).toBe(h.name);
    // the bucket: history 1, max age = ttl
    const st = await (await new Kvm(admin).open('md_live_lease')).status();
    expect(st.history).toBe(1);
    expect(st.ttl).toBe(2000);
    expectNoOverlap(cs);
  }, 15_000);

  it('killed holder (connection closed, no release): a standby takes over within ttl + 1 s (default ttl 5 s)', async () => {
    const key = newKey();
    const cs = await Promise.all(['a', 'b', 'c'].map((n) => contender(n, { key })));
    expect(cs[0]!.lease).toMatchObject({ ttlMs: 5000, refreshMs: 1666, pollMs: 1000 });
    for (const c of cs) c.lease.run();
    await until(() => cs.some((c) => c.lease.held), 3000, 'a holder');
    const victim = cs.find((c) => c.lease.held)!;
    const others = cs.filter((c) => c !== victim);
    const s = sampler(() => others.concat(victim.nc.isClosed() ? [] : [victim]));
    await sleep(700 + Math.random() * 1500); // kill at some point of the refresh cycle
    const entry = await (await new Kvm(admin).open(bucket!)).get(key);
    const killedAt = performance.now();
    const killedAtWall = Date.now();
    await victim.nc.close();
    await until(() => others.some((c) => c.lease.held), 7000, 'a takeover');
    s.stop();
    const next = others.find((c) => c.lease.held)!;
    const takeover = next.acquiredAt()! - killedAt;
    const expiresIn = entry!.created.getTime() + 5000 - killedAtWall;
    console.log(
      `LEASE: takeover_ms=${takeover.toFixed(0)} after SIGKILL-like close (ttl 5000, poll 1000; the entry was due to expire ` +
        `${expiresIn} ms after the kill: taken ${(takeover - expiresIn).toFixed(0)} ms after its expiry)`,
    );
    expect(takeover).toBeLessThan(5000 + 1000);
    expect(takeover).toBeGreaterThanOrEqual(expiresIn - 15);
    expect(victim.events.map((e) => e.kind)).toEqual(['acquired', 'lost']);
    expect(victim.events[1]!.why).toBe('connection closed');
    expect(s.max).toBe(1);
    expect((await next.lease.current())?.holder).toBe(next.name);
    expectNoOverlap(cs);
  }, 20_000);

  it('graceful stop(release): a standby takes over within pollMs', async () => {
    const key = newKey();
    const cs = await Promise.all(['a', 'b'].map((n) => contender(n, { key, ttlMs: 3000, pollMs: 300 })));
    for (const c of cs) c.lease.run();
    await until(() => cs.some((c) => c.lease.held), 3000, 'a holder');
    const [h, standby] = cs[0]!.lease.held ? [cs[0]!, cs[1]!] : [cs[1]!, cs[0]!];
    await sleep(500);
    const t0 = performance.now();
    await h.lease.stop();
    expect(h.lease.held).toBe(false);
    await until(() => standby.lease.held, 2000, 'the standby');
    const takeover = standby.acquiredAt()! - t0;
    console.log(`LEASE: takeover_ms=${takeover.toFixed(0)} after stop(release) (poll 300)`);
    expect(takeover).toBeLessThan(300 + 150);
    // stop() is not a loss
    expect(h.events.map((e) => e.kind)).toEqual(['acquired']);
    expect(h.lease.stats.lost).toBe(0);
    expect((await standby.lease.current())?.holder).toBe(standby.name);
    // stop without release keeps the key until it expires
    const t1 = performance.now();
    await standby.lease.stop(false);
    expect((await h.lease.current())?.holder).toBe(standby.name);
    await sleep(t1 + 3000 + 100 - performance.now());
    expect(await h.lease.current()).toBeNull();
  }, 15_000);

  it('a holder whose connection stalls reports the loss before a standby acquires', async () => {
    const key = newKey();
    const proxy = await stallableProxy(srv.port);
    try {
      const ttlMs = 2000;
      const a = await contender('a', { key, ttlMs }, await conn(proxy.url));
      a.lease.run();
      await until(() => a.lease.held, 3000, 'a holding');
      const b = await contender('b', { key, ttlMs });
      const c = await contender('c', { key, ttlMs });
      b.lease.run();
      c.lease.run();
      const s = sampler(() => [a, b, c]);
      await sleep(300 + Math.random() * 700);
      const stalledAt = performance.now();
      proxy.stall();
      await until(() => b.lease.held || c.lease.held, ttlMs + 1500, 'a standby taking over');
      s.stop();
      const next = b.lease.held ? b : c;
      const lostAt = a.lostAt()!;
      const acquiredAt = next.acquiredAt()!;
      console.log(
        `LEASE: stalled holder lost it ${(lostAt - stalledAt).toFixed(0)} ms after the stall, ${(acquiredAt - lostAt).toFixed(0)} ms ` +
          `before ${next.name} acquired it (takeover_ms=${(acquiredAt - stalledAt).toFixed(0)}, ttl ${ttlMs})`,
      );
      expect(lostAt).toBeDefined();
      expect(lostAt).toBeLessThan(acquiredAt);
      // at ttl - refresh/2 after its last write: before the entry could expire
      expect(lostAt - stalledAt).toBeLessThan(ttlMs - 666 / 2 + 50);
      expect(a.events[1]!.why).toMatch(/no successful refresh for 1667 ms/);
      expect(a.lease.stats.refreshFailures + a.lease.stats.refreshes).toBeGreaterThan(0);
      expect(s.max).toBe(1);
      expectNoOverlap([a, b, c]);
      // the stalled connection comes back: its stale refresh fails, it stays a standby
      proxy.resume();
      await sleep(ttlMs + 500);
      expect(a.lease.held).toBe(false);
      expect(next.lease.held).toBe(true);
      expect((await a.lease.current())?.holder).toBe(next.name);
      expectNoOverlap([a, b, c]);
    } finally {
      await proxy.close();
    }
  }, 20_000);

  it('a frozen server: the holder reports the loss while it is frozen; one holder after it resumes', async () => {
    const own = await startNatsServer();
    try {
      const key = newKey();
      const ttlMs = 2000;
      const cs = await Promise.all(['a', 'b', 'c'].map(async (n) => contender(n, { key, ttlMs }, await conn(own.url))));
      for (const c of cs) c.lease.run();
      await until(() => cs.some((c) => c.lease.held), 3000, 'a holder');
      const h = cs.find((c) => c.lease.held)!;
      const s = sampler(() => cs);
      await sleep(200 + Math.random() * 500);
      const frozenAt = performance.now();
      await own.freeze();
      await until(() => !h.lease.held, ttlMs, 'the holder giving up');
      const lostAt = h.lostAt()!;
      expect(cs.every((c) => !c.lease.held)).toBe(true);
      await sleep(frozenAt + ttlMs + 500 - performance.now());
      const resumedAt = performance.now();
      own.kill('SIGCONT');
      await until(() => cs.some((c) => c.lease.held), 2 * ttlMs + 1500, 'a holder after the resume');
      s.stop();
      const next = cs.find((c) => c.lease.held)!;
      console.log(
        `LEASE: frozen server: holder lost it ${(lostAt - frozenAt).toFixed(0)} ms after the freeze; ${next.name} acquired ` +
          `${(next.acquiredAt(next === h ? 1 : 0)! - resumedAt).toFixed(0)} ms after the resume`,
      );
      expect(lostAt).toBeLessThan(resumedAt);
      expect(lostAt - frozenAt).toBeLessThan(ttlMs - 666 / 2 + 50);
      expect(h.events.find((e) => e.kind === 'lost')!.why).toMatch(/no successful refresh/);
      expect(s.max).toBe(1);
      expectNoOverlap(cs);
      expect((await next.lease.current())?.holder).toBe(next.name);
    } finally {
      for (const c of contenders.splice(0)) await c.lease.stop(false).catch(() => undefined);
      await own.dispose();
    }
  }, 20_000);

  it('a refresh stored but unanswered (answers stalled past its timeout): the holder continues from it, no loss', async () => {
    const key = newKey();
    const proxy = await stallableProxy(srv.port);
    try {
      const logs: string[] = [];
      const a = await contender('a', { key, ttlMs: 3000, log: (l, m) => logs.push(`${l} ${m}`) }, await conn(proxy.url));
      const b = await contender('b', { key, ttlMs: 3000 });
      a.lease.run();
      await until(() => a.lease.held, 3000, 'a holding');
      b.lease.run();
      // right after a refresh: the next one (1000 ms later) is stored, its answer held back beyond its 1000 ms timeout
      const r = a.lease.stats.refreshes;
      await until(() => a.lease.stats.refreshes > r, 2000, 'a refresh');
      proxy.stall('down');
      await sleep(2100);
      proxy.resume();
      await sleep(1500);
      expect(a.lease.held).toBe(true);
      expect(a.events.map((e) => e.kind)).toEqual(['acquired']);
      expect(a.lease.stats.refreshFailures).toBeGreaterThanOrEqual(1);
      expect(logs.some((l) => /adopting revision \d+ \(a timed-out refresh was stored\)/.test(l))).toBe(true);
      expect(b.lease.held).toBe(false);
      expect((await b.lease.current())?.holder).toBe('a');
    } finally {
      await proxy.close();
    }
  }, 15_000);

  it('a key overwritten by someone else: the holder loses it at its next refresh, naming the new holder', async () => {
    const key = newKey();
    const a = await contender('a', { key, ttlMs: 1500 });
    a.lease.run();
    await until(() => a.lease.held, 2000, 'a holding');
    // a foreign writer (not a Lease: a raw value)
    await (await new Kvm(admin).open(bucket!)).put(key, 'intruder');
    await until(() => !a.lease.held, 1000, 'the loss');
    expect(a.events.map((e) => [e.kind, e.why])).toEqual([
      ['acquired', undefined],
      ['lost', 'taken by intruder'],
    ]);
    expect(await a.lease.current()).toMatchObject({ holder: 'intruder' });
    expect(a.lease.stats).toMatchObject({ acquired: 1, lost: 1 });
  }, 10_000);

  it('an event loop blocked past the deadline (1000 - 333/2 ms): held is false when read, the loss reported at once', async () => {
    const key = newKey();
    const a = await contender('a', { key, ttlMs: 1000 });
    a.lease.run();
    await until(() => a.lease.held, 2000, 'a holding');
    const t0 = performance.now();
    while (performance.now() - t0 < 1100) {
      /* blocked: no timer, no refresh */
    }
    expect(a.lease.held).toBe(false);
    expect(a.events.map((e) => e.kind)).toEqual(['acquired', 'lost']);
    expect(a.events[1]!.why).toBe('no successful refresh for 834 ms');
  }, 10_000);

  it('a late standby waits while the lease is held; the stopped holder no longer refreshes', async () => {
    const key = newKey();
    const a = await contender('a', { key, ttlMs: 1000 });
    a.lease.run();
    a.lease.run(); // idempotent
    await until(() => a.lease.held, 2000, 'a holding');
    const b = await contender('b', { key, ttlMs: 1000 });
    b.lease.run();
    await sleep(1500);
    expect(b.lease.held).toBe(false);
    expect(b.events).toEqual([]);
    await a.lease.stop(false);
    await until(() => b.lease.held, 1000 + 400, 'b after the expiry');
    expect(a.lease.stats.acquired).toBe(1);
  }, 10_000);

  it('refuses a bucket whose max age is not the ttl, and bad options', async () => {
    const nc = await conn();
    await Lease.open(nc, { bucket: 'lease_other', key: 'k', holder: 'x', ttlMs: 1000 });
    const err = await Lease.open(nc, { bucket: 'lease_other', key: 'k', holder: 'y', ttlMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeaseError);
    expect(err).toBeInstanceOf(NatsBusError);
    expect(err).toMatchObject({ bucket: 'lease_other', key: 'k' });
    expect((err as Error).message).toMatch(/^lease lease_other\/k: the bucket exists with max age 1000 ms, not the lease ttl 2000 ms/);
    await expect(Lease.open(nc, { key: 'k', holder: 'x', ttlMs: 1000, refreshMs: 600 })).rejects.toThrow(
      /refreshMs must be > 0 and <= ttl\/2/,
    );
    await expect(Lease.open(nc, { key: 'k', holder: '', ttlMs: 1000 })).rejects.toThrow(/holder must be/);
    await expect(Lease.open(nc, { bucket: 'lease_other', key: 'bad key*', holder: 'x', ttlMs: 1000 })).rejects.toThrow(LeaseError);
  });
});
