/**
 * What the apps' bounded-stop tests share: the local servers of a test (thawed and disposed after each), a
 * 3-node cluster whose R1 MARKET_DATA lives on another node than the app's (freeze the store node: the app's
 * server answers its PINGs, the PubAcks never come), SIGTERM with the time to exit, and the RELIABILITY line.
 */
import { expect } from 'vitest';
import { STREAM_NAME } from '@md/event-types';
import { connectBus, ensureStream, lastMessageOn } from '@md/nats-bus';
import { startNatsCluster, type LocalNatsCluster, type LocalNatsServer } from '@md/nats-bus/testing';
import type { Proc } from './process.js';
import { until } from './wait.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** the servers a test started: `reset()` (afterEach) thaws (SIGCONT) and disposes them */
export class TestServers {
  server: LocalNatsServer | null = null;
  cluster: LocalNatsCluster | null = null;

  async reset(): Promise<void> {
    this.server?.kill('SIGCONT');
    for (const s of this.cluster?.servers ?? []) s.kill('SIGCONT');
    await this.server?.dispose();
    await this.cluster?.dispose();
    this.server = null;
    this.cluster = null;
  }
}

/** a 3-node cluster with MARKET_DATA on one replica: `storeNode` holds the stream, `appNode` is another node */
export async function clusterStoreAway(
  servers: TestServers,
): Promise<{ cluster: LocalNatsCluster; storeNode: LocalNatsServer; appNode: LocalNatsServer }> {
  const cluster = (servers.cluster = await startNatsCluster({ size: 3 }));
  const nc = await connectBus({ servers: cluster.url });
  let leaderIndex = -1;
  try {
    const { info } = await ensureStream(nc, { replicas: 1 });
    const name = info.cluster?.leader ?? '';
    leaderIndex = cluster.servers.findIndex((_s, i) => name.endsWith(`-${i + 1}`));
  } finally {
    await nc.close();
  }
  expect(leaderIndex).toBeGreaterThanOrEqual(0);
  return { cluster, storeNode: cluster.servers[leaderIndex]!, appNode: cluster.servers[(leaderIndex + 1) % 3]! };
}

/**
 * After thawing a frozen node: wait (up to `timeoutMs`) until MARKET_DATA answers a read through `url` (its last
 * message, as a resume asks first), the cluster having re-formed around the node (a fixed sleep was sometimes too
 * short: a resume then met "JetStream is not available"). Read-only: a stream that is gone is not recreated.
 */
export async function streamAnswers(url: string, timeoutMs = 30_000): Promise<void> {
  let last = '';
  const answers = async (): Promise<boolean> => {
    try {
      const nc = await connectBus({ servers: url });
      try {
        await lastMessageOn(nc, STREAM_NAME, 'market.>');
        return true;
      } finally {
        await nc.close();
      }
    } catch (e) {
      last = (e as Error).message;
      return false;
    }
  };
  try {
    await until(answers, timeoutMs, `${STREAM_NAME} to answer through ${url}`);
  } catch (e) {
    throw new Error(`${(e as Error).message}: ${last}`);
  }
}

/**
 * SIGTERM to `r` now: the time to exit (ms) and the exit code; fails when it still runs 60 s later.
 * SHUTDOWN_DEBUG=1 prints the child's last `debugLines` log lines.
 */
export async function sigtermTimed(r: Proc, debugLines: number): Promise<{ ms: number; code: number | null }> {
  const t0 = performance.now();
  r.p.kill('SIGTERM');
  const code = await Promise.race([r.exit, sleep(60_000).then(() => 'hung' as const)]);
  const ms = performance.now() - t0;
  if (process.env.SHUTDOWN_DEBUG) console.log(r.out.stderr.split('\n').slice(-debugLines).join('\n'));
  expect(code, `still running 60 s after SIGTERM:\n${r.out.stderr.slice(-3000)}`).not.toBe('hung');
  return { ms, code: code as number | null };
}

/** `RELIABILITY: <what> shutdown (<kase>), --shutdown-timeout S: SIGTERM -> exit C in MS ms (bound B ms), <tail>` */
export function reportShutdown(what: string, kase: string, timeoutS: number, t: { ms: number; code: number | null }, tail: string): void {
  console.log(
    `RELIABILITY: ${what} shutdown (${kase}), --shutdown-timeout ${timeoutS}: SIGTERM -> exit ${t.code} in ${t.ms.toFixed(0)} ms ` +
      `(bound ${timeoutS * 1000 + 1000} ms), ${tail}`,
  );
}
