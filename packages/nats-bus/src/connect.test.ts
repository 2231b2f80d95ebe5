import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '@nats-io/nkeys';
import { BusConnectError, busOptionsFromEnv, connectBus, natsConnectionOptions, redactSecrets, redactUrl } from './index.js';
import { findFreePort, startNatsServer, type LocalNatsServer } from './testing.js';
import { resolveUrlCredentials, splitUrlCredentials } from './connect.js';

describe('busOptionsFromEnv / redaction / connection options', () => {
  it('reads NATS_* variables; NATS_URL is comma-separated with a default', () => {
    expect(busOptionsFromEnv({})).toEqual({ servers: ['nats://localhost:4222'] });
    const o = busOptionsFromEnv({
      NATS_URL: 'nats://a:4222, nats://b:4223 ,',
      NATS_USER: 'alice',
      NATS_PASSWORD: 'pw',
      NATS_TOKEN: 'tok',
      NATS_NKEY_SEED: 'SUAXXX',
      NATS_CREDS: '/x.creds',
      NATS_TLS_CA: '/ca.pem',
      NATS_TLS_CERT: '/c.pem',
      NATS_TLS_KEY: '/k.pem',
    });
    expect(o).toEqual({
      servers: ['nats://a:4222', 'nats://b:4223'],
      user: 'alice',
      pass: 'pw',
      token: 'tok',
      nkeySeed: 'SUAXXX',
      credsFile: '/x.creds',
      tls: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' },
    });
  });

  it('redacts credentials in URLs and secret values in texts', () => {
    expect(redactUrl('nats://bob:hunter2@h:4222')).toBe('nats://bob:***@h:4222');
    expect(redactUrl('nats://tok@h:4222')).toBe('nats://***@h:4222');
    expect(redactUrl('nats://h:4222')).toBe('nats://h:4222');
    expect(redactSecrets('failed for hunter2 at nats://x:hunter2@h', { pass: 'hunter2' })).not.toContain('hunter2');
  });

  // RELIABILITY.md known bug 7: URLs without a scheme were not redacted, URL passwords not removed from texts
  it('redacts scheme-less URLs and URL passwords anywhere in a text', () => {
    expect(redactUrl('alice:hunter2@127.0.0.1:4222')).toBe('alice:***@127.0.0.1:4222');
    expect(redactUrl('tok-9@127.0.0.1:4222')).toBe('***@127.0.0.1:4222');
    expect(redactUrl('tls://bob:p@ss@h:4222')).toBe('tls://bob:***@h:4222');
    expect(redactUrl('127.0.0.1:4222')).toBe('127.0.0.1:4222');
    expect(redactSecrets('cannot connect to NATS at alice:hunter2@127.0.0.1:4222: refused', {})).toBe(
      'cannot connect to NATS at alice:***@127.0.0.1:4222: refused',
    );
    // the password written in the URL is a secret wherever it appears (the client echoes it alone)
    const opts = { servers: 'nats://a:1,alice:Url%2FPw-77@h:2,nats://Tok-Xy12@h:3' };
    const out = redactSecrets('pass Url/Pw-77 raw Url%2FPw-77 token Tok-Xy12 at nats://alice:Url/Pw-77@h:2', opts);
    expect(out).not.toMatch(/Url\/Pw-77|Url%2FPw-77|Tok-Xy12/);
    expect(out).toContain('token ***');
    // nothing else is touched
    expect(redactSecrets('stream MARKET_DATA at nats://h:4222, 2 servers', {})).toBe('stream MARKET_DATA at nats://h:4222, 2 servers');
  });

  // RELIABILITY.md known bug 6: credentials written into NATS_URL were not sent
  it('credentials written into server URLs become user/password or token; the URLs lose them', () => {
    expect(splitUrlCredentials('nats://alice:p%40ss@h:4222')).toEqual({ url: 'nats://h:4222', user: 'alice', pass: 'p@ss' });
    expect(splitUrlCredentials('nats://tok@h:4222')).toEqual({ url: 'nats://h:4222', token: 'tok' });
    expect(splitUrlCredentials('alice:pw@127.0.0.1:4222')).toEqual({ url: '127.0.0.1:4222', user: 'alice', pass: 'pw' });
    expect(splitUrlCredentials('nats://h:4222')).toEqual({ url: 'nats://h:4222' });
    const r = resolveUrlCredentials({ servers: 'nats://alice:pw@a:1, nats://alice:pw@b:2' });
    expect(r).toMatchObject({ servers: ['nats://a:1', 'nats://b:2'], user: 'alice', pass: 'pw' });
    expect(resolveUrlCredentials({ servers: 'nats://tok@a:1' })).toMatchObject({ servers: ['nats://a:1'], token: 'tok' });
    // an explicit option wins: the URL's credentials are dropped (the URL still loses them)
    const e = resolveUrlCredentials({ servers: 'nats://alice:pw@a:1', token: 'explicit' });
    expect(e).toMatchObject({ servers: ['nats://a:1'], token: 'explicit' });
    expect(e.user).toBeUndefined();
    expect(e.pass).toBeUndefined();
    const o = natsConnectionOptions({ servers: 'bob:pw@a:1' });
    expect(o.servers).toEqual(['a:1']);
    expect(o.authenticator).toBeTypeOf('function');
    expect(natsConnectionOptions({ servers: 'nats://a:1' }).authenticator).toBeUndefined();
  });

  it('NATS_STREAM_REPLICAS is read (1..5), anything else named in the error', () => {
    expect(busOptionsFromEnv({ NATS_STREAM_REPLICAS: '3' }).streamReplicas).toBe(3);
    expect(busOptionsFromEnv({}).streamReplicas).toBeUndefined();
    for (const bad of ['0', '6', '2.5', 'three'])
      expect(() => busOptionsFromEnv({ NATS_STREAM_REPLICAS: bad })).toThrow(/NATS_STREAM_REPLICAS .*1 to 5.*got/);
  });

  it('reconnects forever with backoff and jitter', () => {
    const o = natsConnectionOptions({ servers: 'nats://a:1,nats://b:2' });
    expect(o.maxReconnectAttempts).toBe(-1);
    expect(o.reconnect).toBe(true);
    expect(o.servers).toEqual(['nats://a:1', 'nats://b:2']);
    const d = o.reconnectDelayHandler!();
    expect(d).toBeGreaterThanOrEqual(100);
    expect(d).toBeLessThanOrEqual(100 + 250);
  });
});

describe('connectBus against real servers', () => {
  const PASSWORD = 'S3cret-Pass-9471';
  const TOKEN = 'tok-Zq81-secret';
  let userSrv: LocalNatsServer;
  let tokenSrv: LocalNatsServer;
  let nkeySrv: LocalNatsServer;
  const nkey = createUser();
  const seed = new TextDecoder().decode(nkey.getSeed());

  beforeAll(async () => {
    userSrv = await startNatsServer({ jetstream: false, configText: `authorization { user: alice, password: "${PASSWORD}" }\n` });
    tokenSrv = await startNatsServer({ jetstream: false, configText: `authorization { token: "${TOKEN}" }\n` });
    nkeySrv = await startNatsServer({ jetstream: false, configText: `authorization { users: [ { nkey: ${nkey.getPublicKey()} } ] }\n` });
  });
  afterAll(async () => {
    await userSrv?.dispose();
    await tokenSrv?.dispose();
    await nkeySrv?.dispose();
  });

  it('user/password: right credentials connect', async () => {
    const nc = await connectBus({ servers: userSrv.url, user: 'alice', pass: PASSWORD });
    await nc.flush();
    await nc.close();
  });

  it('user/password: a wrong password fails fast with a clear error that does not contain it', async () => {
    const wrong = 'Wrong-Pass-5512';
    const t0 = Date.now();
    const err = await connectBus({ servers: userSrv.url, user: 'alice', pass: wrong }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusConnectError);
    expect((err as BusConnectError).kind).toBe('auth');
    expect((err as Error).message).toMatch(/authentication refused/);
    expect((err as Error).message).toContain('user "alice"');
    expect((err as Error).message).not.toContain(wrong);
    expect(String((err as Error).stack)).not.toContain(wrong);
    expect(Date.now() - t0).toBeLessThan(10_000); // one attempt, no retry storm
    // the server logs the refusal asynchronously: wait for it, then make sure there was no retry storm
    const count = () => userSrv.logs().filter((l) => /authentication error|authorization violation/i.test(l)).length;
    for (let i = 0; i < 100 && count() === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    const authErrors = count();
    expect(authErrors).toBeGreaterThanOrEqual(1);
    expect(authErrors).toBeLessThanOrEqual(2);
  });

  it('credentials in the URL are redacted from errors', async () => {
    const wrong = 'UrlPass-3310';
    const url = userSrv.url.replace('nats://', `nats://alice:${wrong}@`);
    const err = await connectBus({ servers: url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusConnectError);
    expect((err as Error).message).not.toContain(wrong);
    expect((err as Error).message).toContain('alice:***@');
  });

  // RELIABILITY.md known bug 6 (real server): the credentials written into NATS_URL authenticate
  it('user:password and token inside the URL (with or without scheme) authenticate; wrong ones are refused, never echoed', async () => {
    for (const url of [
      userSrv.url.replace('nats://', `nats://alice:${PASSWORD}@`),
      userSrv.url.replace('nats://', `alice:${PASSWORD}@`),
      `${tokenSrv.url.replace('nats://', `nats://${TOKEN}@`)}`,
    ]) {
      const nc = await connectBus(busOptionsFromEnv({ NATS_URL: url }));
      await nc.flush();
      expect(nc.getServer()).not.toContain('@');
      await nc.close();
    }
    const wrong = 'UrlWrong-5521';
    for (const url of [userSrv.url.replace('nats://', `alice:${wrong}@`), tokenSrv.url.replace('nats://', `${wrong}@`)]) {
      const err = await connectBus(busOptionsFromEnv({ NATS_URL: url })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BusConnectError);
      expect((err as BusConnectError).kind).toBe('auth');
      expect((err as Error).message).toMatch(/cannot connect to NATS at .*\*\*\*@127\.0\.0\.1/);
      expect((err as Error).message).not.toContain(wrong);
      expect(String((err as Error).stack)).not.toContain(wrong);
    }
  });

  it('token: right token connects, wrong one is refused without echoing it', async () => {
    const nc = await connectBus({ servers: tokenSrv.url, token: TOKEN });
    await nc.flush();
    await nc.close();
    const err = await connectBus({ servers: tokenSrv.url, token: 'bad-token-7741' }).catch((e: unknown) => e);
    expect((err as BusConnectError).kind).toBe('auth');
    expect((err as Error).message).not.toContain('bad-token-7741');
  });

  it('nkey seed: the right seed connects, another one is refused', async () => {
    const nc = await connectBus({ servers: nkeySrv.url, nkeySeed: seed });
    await nc.flush();
    await nc.close();
    const other = new TextDecoder().decode(createUser().getSeed());
    const err = await connectBus({ servers: nkeySrv.url, nkeySeed: other }).catch((e: unknown) => e);
    expect((err as BusConnectError).kind).toBe('auth');
    expect((err as Error).message).not.toContain(other);
  });

  it('nobody listening: fails fast as unreachable', async () => {
    const port = await findFreePort();
    const err = await connectBus({ servers: `nats://127.0.0.1:${port}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusConnectError);
    expect((err as BusConnectError).kind).toBe('unreachable');
  });

  it('a missing creds file is reported by path', async () => {
    await expect(connectBus({ servers: userSrv.url, credsFile: '/nonexistent/x.creds' })).rejects.toThrow(/x\.creds/);
  });
});

describe('several servers (NATS_URL list): fail over when one dies', () => {
  it('reconnects to the other server and keeps working', async () => {
    const a = await startNatsServer({ jetstream: false });
    const b = await startNatsServer({ jetstream: false });
    const logs: string[] = [];
    try {
      const nc = await connectBus({ ...busOptionsFromEnv({ NATS_URL: `${a.url},${b.url}` }), log: (m) => logs.push(m) });
      const first = nc.getServer();
      const victim = first.endsWith(`:${a.port}`) ? a : b;
      const other = victim === a ? b : a;
      victim.kill('SIGKILL');
      for (let i = 0; i < 250 && !logs.some((l) => l.includes('reconnected')); i++) await new Promise((r) => setTimeout(r, 20));
      expect(logs.some((l) => l.includes('disconnected'))).toBe(true);
      expect(logs.some((l) => l.includes(`reconnected to 127.0.0.1:${other.port}`))).toBe(true);
      expect(nc.getServer()).toContain(`:${other.port}`);
      await nc.flush();
      await nc.close();
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
});

describe('waitForServer', () => {
  it('keeps trying the first connect until a server appears', async () => {
    const port = await findFreePort();
    const pending = connectBus({ servers: `nats://127.0.0.1:${port}`, waitForServer: true });
    let done = false;
    void pending.then(
      () => (done = true),
      () => (done = true),
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(done).toBe(false);
    const srv = await startNatsServer({ port, jetstream: false });
    try {
      const nc = await pending;
      await nc.flush();
      expect(nc.getServer()).toContain(`:${port}`);
      await nc.close();
    } finally {
      await srv.dispose();
    }
  });
});
