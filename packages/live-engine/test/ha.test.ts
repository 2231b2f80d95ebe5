/**
 * LiveHa with fake engines and the test's lease: a lost lease closes the sockets at once and retires the engine
 * (its windows still filled, LiveEngine.retire), a next term does not wait for that retirement, stop() ends the
 * retired engines too; an engine without retire() is stopped as before.
 */
import { describe, expect, it } from 'vitest';
import { LiveHa, RETIRE_BACKFILL_MS, type HaEngine, type LiveEngineResult } from '@md/live-engine';
import { until } from '@md/test-support';
import { TestLease } from './helpers';

class FakeEngine implements HaEngine {
  readonly calls: string[] = [];
  readonly done: Promise<LiveEngineResult>;
  private resolve!: (r: LiveEngineResult) => void;
  private endRetire: (() => void) | null = null;
  constructor(
    readonly name: string,
    withRetire: boolean,
  ) {
    this.done = new Promise((r) => (this.resolve = r));
    if (!withRetire) this.retire = undefined;
  }
  start(): void {
    this.calls.push('start');
  }
  closeSockets(): void {
    this.calls.push('closeSockets');
  }
  async stop(reason = 'stopped'): Promise<void> {
    this.calls.push(`stop ${reason}`);
    this.endRetire?.();
    this.resolve({ code: 0, reason });
  }
  retire?: (reason: string, maxMs: number) => Promise<void> = (reason, maxMs) => {
    this.calls.push(`retire ${reason} ${maxMs}`);
    // "backfilling" until the test ends it or stop() is called
    return new Promise<void>((r) => (this.endRetire = r));
  };
  finishRetire(): void {
    this.endRetire?.();
  }
}

function controller(withRetire = true, retireMs?: number) {
  const made: FakeEngine[] = [];
  const ha = new LiveHa({
    makeEngine: () => {
      const e = new FakeEngine(`e${made.length + 1}`, withRetire);
      made.push(e);
      return e;
    },
    ...(retireMs === undefined ? {} : { retireMs }),
  });
  const lease = new TestLease(ha.handlers);
  ha.run(lease);
  return { ha, lease, made };
}

describe('LiveHa', () => {
  it('lease lost: sockets closed at once, the engine retired (not stopped); leading again does not wait for it; stop() ends both', async () => {
    const { ha, lease, made } = controller();
    lease.grant();
    await until(() => made.length === 1 && ha.leading, 1000, 'first term');
    lease.revoke('refresh timed out');
    const e1 = made[0] as FakeEngine;
    expect(e1.calls).toEqual(['start', 'closeSockets', `retire lease lost: refresh timed out ${RETIRE_BACKFILL_MS}`]);
    expect(ha.leading).toBe(false);
    // the lease comes back while e1 still backfills: a new engine at once
    lease.grant();
    await until(() => made.length === 2 && ha.leading, 1000, 'second term');
    expect(ha.stats).toEqual({ acquired: 2, lost: 1, terms: 2 });
    expect(e1.calls.filter((c) => c.startsWith('stop'))).toEqual([]);
    await ha.stop('SIGTERM');
    expect(e1.calls.at(-1)).toBe('stop SIGTERM');
    expect((made[1] as FakeEngine).calls).toEqual(['start', 'stop SIGTERM']);
    expect(lease.held).toBe(false);
  });

  it('a retirement that ends by itself is forgotten (stop() does not stop it again); retireMs is passed on', async () => {
    const { ha, lease, made } = controller(true, 5000);
    lease.grant();
    await until(() => made.length === 1, 1000, 'first term');
    lease.revoke('taken by ha-b');
    const e1 = made[0] as FakeEngine;
    expect(e1.calls.at(-1)).toBe('retire lease lost: taken by ha-b 5000');
    e1.finishRetire();
    await new Promise((r) => setTimeout(r, 10));
    await ha.stop('SIGTERM');
    expect(e1.calls.filter((c) => c.startsWith('stop'))).toEqual([]);
  });

  it('an engine without retire(): a lost lease stops it', async () => {
    const { ha, lease, made } = controller(false);
    lease.grant();
    await until(() => made.length === 1, 1000, 'first term');
    lease.revoke('expired on the server');
    await until(() => (made[0] as FakeEngine).calls.length === 3, 1000, 'stopped');
    expect((made[0] as FakeEngine).calls).toEqual(['start', 'closeSockets', 'stop lease lost: expired on the server']);
    await ha.stop();
  });
});
