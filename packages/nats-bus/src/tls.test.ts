import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusConnectError, connectBus } from './index.js';
import { startNatsServer, type LocalNatsServer } from './testing.js';

let haveOpenssl = true;
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
} catch {
  haveOpenssl = false;
  console.warn('tls.test.ts: openssl not found on PATH, skipping the TLS tests (they generate certificates with it)');
}

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCerts(dir: string): void {
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=md-test-ca', '-keyout', 'ca-key.pem', '-out', 'ca.pem');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const who of ['server', 'client']) {
    ossl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=md-test-${who}`, '-keyout', `${who}-key.pem`, '-out', `${who}.csr`);
    ossl(
      'x509',
      '-req',
      '-in',
      `${who}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      'san.ext',
      '-out',
      `${who}.pem`,
    );
  }
}

describe.skipIf(!haveOpenssl)('TLS (server certificate + client certificate verification)', () => {
  let dir: string;
  let srv: LocalNatsServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'md-nats-tls-'));
    makeCerts(dir);
    srv = await startNatsServer({
      jetstream: false,
      configText: `tls {\n  cert_file: "${dir}/server.pem"\n  key_file: "${dir}/server-key.pem"\n  ca_file: "${dir}/ca.pem"\n  verify: true\n}\n`,
    });
  }, 60_000);
  afterAll(async () => {
    await srv?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects with the CA and a client certificate', async () => {
    const nc = await connectBus({
      servers: `tls://127.0.0.1:${srv.port}`,
      tls: { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'client.pem'), keyFile: join(dir, 'client-key.pem') },
    });
    await nc.flush();
    expect(nc.info?.tls_required ?? nc.info?.tls_verify).toBeTruthy();
    await nc.close();
  });

  it('without the CA the server certificate is refused (kind tls)', async () => {
    const err = await connectBus({
      servers: `tls://127.0.0.1:${srv.port}`,
      tls: { certFile: join(dir, 'client.pem'), keyFile: join(dir, 'client-key.pem') },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusConnectError);
    expect((err as BusConnectError).kind).toBe('tls');
  });
});
