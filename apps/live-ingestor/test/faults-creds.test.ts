/**
 * NATS authentication with a creds file (decentralized JWT auth), through the live-ingestor process:
 * a nats-server in operator mode (operator, system account and application account JWTs made and signed
 * here with @nats-io/nkeys, memory resolver), a user creds file signed by the account, and one signed by an
 * account the server does not know. Right creds: events stored; wrong or garbage creds: exit 1 with a clear
 * message, one refusal at the server, the vendor never contacted; the user seeds never printed.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, createOperator, createUser, type KeyPair } from '@nats-io/nkeys';
import { connectBus, ensureStream } from '@md/nats-bus';
import { startNatsServer, type LocalNatsServer } from '@md/nats-bus/testing';
import { until } from '@md/test-support';
import { FakeVendor, FAKE_API_KEY } from '@md/test-support/fake-vendor';
import { killAll, runTsx } from '@md/test-support/process';

const MAIN = resolve(import.meta.dirname, '../src/main.ts');
const te = new TextEncoder();
const b64u = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');

/** a NATS v2 JWT (header.claims.signature, ed25519 by the issuer's nkey) */
function jwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const claims: Record<string, unknown> = {
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    name,
    sub: subject,
    nats: { ...nats, version: 2 },
  };
  claims.jti = createHash('sha256').update(JSON.stringify(claims)).digest('base64url');
  const head = b64u(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }));
  const body = b64u(JSON.stringify(claims));
  return `${head}.${body}.${b64u(issuer.sign(te.encode(`${head}.${body}`)))}`;
}
const LIMITS = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
const account = (op: KeyPair, acc: KeyPair, name: string, js: boolean) =>
  jwt(op, acc.getPublicKey(), name, {
    type: 'account',
    limits: js ? { ...LIMITS, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 } : LIMITS,
    default_permissions: { pub: {}, sub: {} },
  });
function creds(acc: KeyPair, user: KeyPair): { text: string; seed: string } {
  const seed = new TextDecoder().decode(user.getSeed());
  const u = jwt(acc, user.getPublicKey(), 'live-ingestor', { type: 'user', pub: {}, sub: {}, subs: -1, data: -1, payload: -1 });
  return {
    seed,
    text: `-----BEGIN NATS USER JWT-----\n${u}\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\nNKEY Seed printed below can be used to sign and prove identity.\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`,
  };
}

let dir = '';
let srv: LocalNatsServer;
let fv: FakeVendor;
let goodCreds = '';
let rogueCreds = '';
let garbageCreds = '';
const seeds: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'md-live-creds-'));
  const op = createOperator();
  const sys = createAccount();
  const app = createAccount();
  const rogue = createAccount(); // signed by nobody the server trusts
  const good = creds(app, createUser());
  const bad = creds(rogue, createUser());
  seeds.push(good.seed, bad.seed);
  goodCreds = join(dir, 'app.creds');
  rogueCreds = join(dir, 'rogue.creds');
  garbageCreds = join(dir, 'garbage.creds');
  writeFileSync(goodCreds, good.text, { mode: 0o600 });
  writeFileSync(rogueCreds, bad.text, { mode: 0o600 });
  writeFileSync(garbageCreds, 'this is not a creds file\n', { mode: 0o600 });
  const opJwt = jwt(op, op.getPublicKey(), 'md-test-operator', { type: 'operator', system_account: sys.getPublicKey() });
  srv = await startNatsServer({
    configText:
      `operator: ${opJwt}\nsystem_account: ${sys.getPublicKey()}\nresolver: MEMORY\nresolver_preload: {\n` +
      `  ${app.getPublicKey()}: ${account(op, app, 'APP', true)}\n  ${sys.getPublicKey()}: ${account(op, sys, 'SYS', false)}\n}\n`,
  });
  fv = await FakeVendor.start();
}, 60_000);
afterAll(async () => {
  killAll();
  await fv?.close();
  await srv?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(env: Record<string, string>) {
  return runTsx(MAIN, ['--sessions', 'stocks', '--stats-interval', '0.5'], {
    cwd: resolve(import.meta.dirname, '..'),
    env: { LIVE_DEBUG: '1', POLYGON_API_KEY: FAKE_API_KEY, POLYGON_STOCKS_WS_URL: fv.url('stocks'), NATS_URL: srv.url, ...env },
  });
}
const refusals = () => srv.logs().filter((l) => /authentication error|authorization violation/i.test(l)).length;
const figures: string[] = [];

describe('NATS creds file (JWT) through the app', () => {
  it('the right creds file: connects, ensures the stream, stores events; SIGTERM exits 0; the seed never printed', async () => {
    const conns = fv.connections.length;
    const r = run({ NATS_CREDS: goodCreds });
    await fv.waitFor(() => fv.connections.length > conns && fv.subscriptions('stocks').size === 2, 30_000, 'subscription');
    await until(() => /nats: stream MARKET_DATA/.test(r.out.stderr), 10_000, 'stream ensured');
    fv.broadcast('stocks', JSON.stringify([{ ev: 'T', sym: 'SPY', i: '1', x: 12, p: 676.41, s: 100, t: 1765898100000, q: 1 }]));
    const nc = await connectBus({ servers: srv.url, credsFile: goodCreds });
    try {
      await until(async () => Number((await ensureStream(nc)).info.state.messages) === 1, 15_000, 'the event stored');
    } finally {
      await nc.close();
    }
    r.p.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    expect(r.out.stderr).toMatch(/final .* published=1 acked=1 /);
    for (const s of seeds) expect(r.out.stderr + r.out.stdout).not.toContain(s);
    figures.push('right creds: 1 event stored, exit 0');
  }, 60_000);

  for (const [name, file, message, minRefusals] of [
    [
      'a user of an account the server does not trust',
      () => rogueCreds,
      /cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+ \(creds file .*rogue\.creds\): authentication refused/,
      1,
    ],
    [
      'a file that is not a creds file',
      () => garbageCreds,
      /cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+ \(creds file .*garbage\.creds\)/,
      0,
    ],
  ] as const) {
    it(`${name}: exit 1 with a clear message naming the file, at most one refusal, the vendor never contacted`, async () => {
      const r0 = refusals();
      const conns = fv.connections.length;
      const t0 = Date.now();
      const r = run({ NATS_CREDS: file() });
      expect(await r.exit).toBe(1);
      const ms = Date.now() - t0;
      expect(r.out.stderr).toMatch(message);
      expect(fv.connections.length).toBe(conns);
      await new Promise((res) => setTimeout(res, 1000));
      const n = refusals() - r0;
      expect(n).toBeGreaterThanOrEqual(minRefusals);
      expect(n).toBeLessThanOrEqual(2);
      for (const s of seeds) expect(r.out.stderr + r.out.stdout).not.toContain(s);
      figures.push(`${name}: exit 1 after ${ms} ms, ${n} refusal(s) at the server`);
    }, 60_000);
  }

  it('summary', () => {
    expect(figures).toHaveLength(3);
    console.log(`RELIABILITY: creds file (operator-mode JWT): ${figures.join('; ')}; user seeds never printed`);
  });
});
