/**
 * PubAck parsing: the fast path (fastPubAck, no JSON.parse) accepts only the exact form nats-server writes for a
 * stored / duplicate message and gives the outcome JSON.parse gives; everything else goes to the JSON path. Real
 * PubAcks of a local server, then hand-made variants. Also the reply subject's numbers (digitsAt).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headers, type Msg } from '@nats-io/transport-node';
import { connectBus, ensureStream, type NatsConnection } from './index.js';
import { startNatsServer, type LocalNatsServer } from './testing.js';
import { digitsAt, fastPubAck, parseAck } from './publisher-acks.js';

const te = new TextEncoder();
const msgOf = (text: string) => ({ data: te.encode(text), headers: undefined }) as unknown as Msg;

/** what the JSON path says: 1 stored, 2 duplicate, 0 anything else */
function viaJson(text: string): 0 | 1 | 2 {
  try {
    const r = JSON.parse(text) as { error?: unknown; duplicate?: unknown };
    if (r === null || typeof r !== 'object' || r.error) return 0;
    return r.duplicate === true ? 2 : 1;
  } catch {
    return 0;
  }
}

describe('PubAck parsing', () => {
  let srv: LocalNatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    srv = await startNatsServer();
    nc = await connectBus({ servers: srv.url });
    await ensureStream(nc, { name: 'ACKS', subjects: ['acks.>'] });
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await srv?.dispose();
  });

  it("the server's PubAcks: stored and duplicate on the fast path, an error on the JSON path, same outcomes", async () => {
    const ack = async (id: string, expectLast?: string) => {
      const h = headers();
      h.set('Nats-Msg-Id', id);
      if (expectLast) h.set('Nats-Expected-Last-Msg-Id', expectLast);
      return nc.request('acks.x', te.encode('x'), { headers: h, timeout: 5000 });
    };
    const stored = await ack('a');
    const duplicate = await ack('a');
    const refused = await ack('b', 'not-a');
    expect(fastPubAck(stored.data)).toBe(1);
    expect(fastPubAck(duplicate.data)).toBe(2);
    expect(fastPubAck(refused.data)).toBe(0);
    expect(parseAck(stored, false)).toEqual({ kind: 'ok', duplicate: false });
    expect(parseAck(duplicate, false)).toEqual({ kind: 'ok', duplicate: true });
    expect(parseAck(refused, true)).toMatchObject({ kind: 'chain', last: 'a' });
    expect(parseAck(refused, false)).toMatchObject({ kind: 'permanent' });
  });

  it('the fast path takes only the exact stored / duplicate forms, and agrees with JSON.parse on them', () => {
    const accepted = [
      ['{"stream":"MARKET_DATA", "seq":1}', 1],
      ['{"stream":"MARKET_DATA","seq":18446744073709551615}', 1],
      ['{"stream":"S", "seq":7,"duplicate": true}', 2],
      ['{"stream":"S","seq":7,"duplicate":true}', 2],
      ['{"stream":"", "seq":0}', 1],
    ] as const;
    for (const [t, want] of accepted) {
      expect(fastPubAck(te.encode(t)), t).toBe(want);
      expect(viaJson(t), t).toBe(want);
      expect(parseAck(msgOf(t), false)).toEqual({ kind: 'ok', duplicate: want === 2 });
    }
    const refused = [
      '{"error":{"code":503,"err_code":10077,"description":"x"},"stream":"S", "seq":0}',
      '{"stream":"S", "domain":"hub", "seq":3}',
      '{"stream":"S\\"x", "seq":3}',
      '{"stream":"S\\u0041", "seq":3}',
      '{"stream":"S", "seq":3,"duplicate": false}',
      '{"stream":"S", "seq":3,"duplicate": true,"val":"1"}',
      '{"stream":"S", "seq":3}x',
      '{"stream":"S", "seq":3} ',
      '{"stream":"S", "seq":}',
      '{"stream":"S", "seq":-1}',
      '{"stream":"S", "seq":1e3}',
      '{"stream":"S"',
      '{"stream":"S",',
      '{"stream":"S", "seq":3',
      '{"stream":"S",  "seq":3}',
      '{"stream":"S", "seq":3, "duplicate": true}',
      '{"seq":3,"stream":"S"}',
      '',
      '{',
    ];
    for (const t of refused) expect(fastPubAck(te.encode(t)), t).toBe(0);
    // the JSON path still reads the ones it can
    expect(parseAck(msgOf('{"stream":"S", "domain":"hub", "seq":3}'), false)).toEqual({ kind: 'ok', duplicate: false });
    expect(parseAck(msgOf('{"seq":3,"stream":"S","duplicate":true}'), false)).toEqual({ kind: 'ok', duplicate: true });
    expect(parseAck(msgOf('{"stream":"S", "seq":3}x'), false)).toMatchObject({ kind: 'permanent', why: /unparsable/ });
    expect(parseAck(msgOf('{"error":{"code":503,"err_code":10077,"description":"x"}}'), false)).toMatchObject({ kind: 'transient' });
  });

  it("digitsAt: a reply subject's <seq>.<attempt>, -1 for anything but digits", () => {
    const s = '_INBOX.abc.123.4';
    expect(digitsAt(s, 11, 14)).toBe(123);
    expect(digitsAt(s, 15, s.length)).toBe(4);
    expect(digitsAt(s, 11, 11)).toBe(-1);
    expect(digitsAt('_INBOX.abc.1x3.4', 11, 14)).toBe(-1);
    expect(digitsAt('_INBOX.abc.-1.4', 11, 13)).toBe(-1);
    expect(digitsAt('9007199254740991', 0, 16)).toBe(Number.MAX_SAFE_INTEGER);
  });
});
