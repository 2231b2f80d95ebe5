import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isNatsReachable } from './index.js';
import {
  findFreePort,
  NatsServerNotInstalledError,
  NatsServerStartError,
  parseServerUrls,
  startNatsServer,
  type LocalNatsServer,
} from './testing.js';

describe('startNatsServer', () => {
  const servers: LocalNatsServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.dispose();
  });

  it('starts on a free loopback port with a temporary store, stops, restarts on the same port and store', async () => {
    const s = await startNatsServer();
    servers.push(s);
    expect(s.url).toBe(`nats://127.0.0.1:${s.port}`);
    expect(existsSync(s.storeDir)).toBe(true);
    expect(s.running).toBe(true);
    expect(await isNatsReachable(s.url)).toBe(true);
    expect(s.logs().some((l) => l.includes('Server is ready'))).toBe(true);
    const pid1 = s.pid;

    await s.stop();
    expect(s.running).toBe(false);
    expect(await isNatsReachable(s.url, 300)).toBe(false);

    await s.restart();
    expect(s.running).toBe(true);
    expect(s.pid).not.toBe(pid1);
    expect(await isNatsReachable(`127.0.0.1:${s.port}`)).toBe(true);
    expect(s.logs().join('\n')).toContain(s.storeDir);
  });

  it('kill(SIGSTOP) freezes it (no INFO), SIGCONT resumes, SIGKILL + restart recovers', async () => {
    const s = await startNatsServer();
    servers.push(s);
    s.kill('SIGSTOP');
    // signal delivery is asynchronous: wait until the process is really stopped (state T)
    const state = () => readFileSync(`/proc/${s.pid}/stat`, 'utf8').split(') ')[1]?.[0];
    for (let i = 0; i < 100 && state() !== 'T'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(state()).toBe('T');
    expect(await isNatsReachable(s.url, 300)).toBe(false);
    s.kill('SIGCONT');
    expect(await isNatsReachable(s.url, 2000)).toBe(true);
    s.kill('SIGKILL');
    await s.stop(); // waits for the exit
    expect(s.running).toBe(false);
    await s.restart();
    expect(await isNatsReachable(s.url)).toBe(true);
  });

  it('freeze(): every thread stopped when it resolves (nothing answers), SIGCONT resumes; a stopped server cannot be frozen', async () => {
    const s = await startNatsServer();
    servers.push(s);
    await s.freeze();
    const tasks = readdirSync(`/proc/${s.pid}/task`);
    expect(tasks.length).toBeGreaterThan(1); // a Go process: several threads, all of them stopped
    for (const tid of tasks) {
      const stat = readFileSync(`/proc/${s.pid}/task/${tid}/stat`, 'utf8');
      expect(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)).toBe('T');
    }
    expect(await isNatsReachable(s.url, 300)).toBe(false);
    s.kill('SIGCONT');
    expect(await isNatsReachable(s.url, 2000)).toBe(true);
    await s.stop();
    await expect(s.freeze()).rejects.toThrow(NatsServerStartError);
  });

  it('dispose() removes the temporary store', async () => {
    const s = await startNatsServer();
    const dir = s.storeDir;
    await s.dispose();
    expect(existsSync(dir)).toBe(false);
  });

  it('missing binary: NatsServerNotInstalledError naming the install command', async () => {
    const err = await startNatsServer({ bin: '/nonexistent/nats-server' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NatsServerNotInstalledError);
    expect((err as Error).message).toContain('apt-get install -y nats-server');
    const err2 = await startNatsServer({ bin: 'no-such-nats-server-binary' }).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(NatsServerNotInstalledError);
  });

  it('a bad config fails with the server output in the error', async () => {
    const err = await startNatsServer({ configText: 'this is { not valid' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NatsServerStartError);
    expect((err as NatsServerStartError).log.length).toBeGreaterThan(0);
  });

  it('isNatsReachable is false for a port nobody listens on and for garbage', async () => {
    const port = await findFreePort();
    expect(await isNatsReachable(`nats://127.0.0.1:${port}`, 300)).toBe(false);
    expect(await isNatsReachable('::::not a url', 300)).toBe(false);
  });

  it('parseServerUrls handles schemes, bare host:port, credentials and lists', () => {
    expect(parseServerUrls('nats://u:p@h1:4223, tls://h2,h3:5000')).toEqual([
      { host: 'h1', port: 4223 },
      { host: 'h2', port: 4222 },
      { host: 'h3', port: 5000 },
    ]);
  });
});
