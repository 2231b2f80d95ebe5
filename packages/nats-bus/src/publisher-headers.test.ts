/**
 * The header bytes the publisher writes (publisher-headers.ts) against the former per-event EventHeaders (kept here
 * as the reference: a MsgHdrsImpl whose text was `NATS/1.0`, the header lines, a blank line, UTF-8 encoded): the
 * writer on its own (ids as text and as row bytes, with and without the chain header, chunk roll-over), and what
 * JetStreamPublisher actually hands nats.js for rows, publish() and publishEncoded, in both modes, with the chain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headers as natsHeaders, MsgHdrsImpl } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { encode, lookup, MSG_ID_HEADER, SCHEMA_HEADER, type EncodedBatch, type Publishable } from '@md/event-types';
import { connectBus, ensureStream, JetStreamPublisher, type NatsConnection } from './index.js';
import { startNatsServer, type LocalNatsServer } from './testing.js';
import { EXPECTED_LAST_MSG_ID_HEADER } from './publisher-chain.js';
import { HeaderWriter, msgIdOfHeader, WireHeaders } from './publisher-headers.js';
import { at, fakeBody, readStream } from './test-util.js';

/** the former EventHeaders, verbatim (the reference) */
class OldEventHeaders extends MsgHdrsImpl {
  private readonly wire: Uint8Array;
  constructor(msgId: string, schemaId: string, expectLastMsgId: string | null = null) {
    super();
    this.headers.set(MSG_ID_HEADER, [msgId]);
    this.headers.set(SCHEMA_HEADER, [schemaId]);
    let text = `NATS/1.0\r\n${MSG_ID_HEADER}: ${msgId}\r\n${SCHEMA_HEADER}: ${schemaId}\r\n`;
    if (expectLastMsgId) {
      this.headers.set(EXPECTED_LAST_MSG_ID_HEADER, [expectLastMsgId]);
      text += `${EXPECTED_LAST_MSG_ID_HEADER}: ${expectLastMsgId}\r\n`;
    }
    this.wire = Buffer.from(`${text}\r\n`, 'utf8');
  }
  override encode(): Uint8Array {
    return this.wire;
  }
}
const old = (id: string, schema: string, expect: string | null = null) => Buffer.from(new OldEventHeaders(id, schema, expect).encode());
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
/** the writer's block as a view (null: refused) */
const str = (w: HeaderWriter, id: string, suffix: Uint8Array, expect: string | null) => w.view(w.fromString(id, suffix, expect));
const row = (w: HeaderWriter, src: Uint8Array, s: number, e: number, suffix: Uint8Array, expect: string | null) => {
  const at = w.fromBytes(src, s, e, suffix, expect);
  return at < 0 ? null : w.view(at);
};

const ASCII_IDS = [
  'market.futures.trades:42:1702900805123461789:0:glbx-mdp3-20231218.trades.dbn:0',
  'x',
  ' padded id ',
  'a'.repeat(70_000), // longer than a chunk
  '~!@#$%^&*()_+{}|:"<>?`-=[];\',./',
];
const TEXT_IDS = [...ASCII_IDS, 'ünïcödé-ß', 'emoji 😀 id', 'lone \ud800 surrogate', 'é'.repeat(30_000)];
const SCHEMAS = ['futures.trades.v1', 'futures.mbp10.v1', 's', 'schéma'];

/** `ids` as row bytes of one buffer (with a gap byte between them), like an EncodedBatch's */
function rowBytes(ids: Uint8Array[]): { bytes: Uint8Array; start: number[]; end: number[] } {
  const bytes = new Uint8Array(ids.reduce((n, x) => n + x.length + 1, 0)).fill(0x21);
  const start: number[] = [];
  const end: number[] = [];
  let o = 0;
  for (const x of ids) {
    bytes.set(x, o);
    start.push(o);
    end.push((o += x.length));
    o++;
  }
  return { bytes, start, end };
}

describe('HeaderWriter: the bytes of the former EventHeaders', () => {
  it('ids as text (UTF-8) and as ASCII row bytes, every schema, with and without the chain header', () => {
    const w = new HeaderWriter();
    for (const schema of SCHEMAS) {
      const suffix = w.schemaSuffix(schema);
      expect(w.schemaSuffix(schema)).toBe(suffix); // cached
      for (const [k, id] of TEXT_IDS.entries()) {
        for (const expectLast of [null, at(TEXT_IDS, (k + 1) % TEXT_IDS.length)]) {
          const h = str(w, id, suffix, expectLast);
          expect(same(h, old(id, schema, expectLast))).toBe(true);
          expect(msgIdOfHeader(h)).toBe(Buffer.from(id, 'utf8').toString('utf8'));
        }
      }
      const rows = rowBytes(ASCII_IDS.map((id) => Buffer.from(id, 'latin1')));
      for (const [k, id] of ASCII_IDS.entries()) {
        for (const expectLast of [null, 'prev:1', 'prévious ü']) {
          const h = row(w, rows.bytes, at(rows.start, k), at(rows.end, k), suffix, expectLast);
          expect(h).not.toBeNull();
          expect(same(h!, old(id, schema, expectLast))).toBe(true);
          expect(msgIdOfHeader(h!)).toBe(id);
        }
      }
    }
    // nats.js's own encoding of the same headers (ASCII values) is the same text too
    const h = natsHeaders();
    h.set(MSG_ID_HEADER, at(ASCII_IDS, 0));
    h.set(SCHEMA_HEADER, 'futures.trades.v1');
    h.set(EXPECTED_LAST_MSG_ID_HEADER, 'p');
    expect(same((h as MsgHdrsImpl).encode(), str(new HeaderWriter(), at(ASCII_IDS, 0), w.schemaSuffix('futures.trades.v1'), 'p'))).toBe(
      true,
    );
  });

  it('row bytes with a CR, LF or a byte above 0x7f: null, and nothing written (the caller takes the text path)', () => {
    const w = new HeaderWriter();
    const suffix = w.schemaSuffix('futures.trades.v1');
    const rows = rowBytes([
      Buffer.from('good-1'),
      Buffer.from('bad\r1'),
      Buffer.from('bad\n2'),
      Buffer.from([0x61, 0xe9, 0x62]),
      Buffer.from('good-2'),
    ]);
    const first = row(w, rows.bytes, at(rows.start, 0), at(rows.end, 0), suffix, null)!;
    for (const k of [1, 2, 3]) expect(row(w, rows.bytes, at(rows.start, k), at(rows.end, k), suffix, null)).toBeNull();
    const last = row(w, rows.bytes, at(rows.start, 4), at(rows.end, 4), suffix, null)!;
    expect(same(first, old('good-1', 'futures.trades.v1'))).toBe(true);
    expect(same(last, old('good-2', 'futures.trades.v1'))).toBe(true);
    expect(last.byteOffset).toBe(first.byteOffset + first.length); // the refused ones left no bytes behind
  });

  it('bytes already handed out are never overwritten (new chunks, not reused ones)', () => {
    const w = new HeaderWriter();
    const suffix = w.schemaSuffix('futures.trades.v1');
    const kept: [string, Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < 20_000; i++) {
      const id = `market.futures.trades:42:${1702900805123461789n + BigInt(i)}:${i}:f.dbn:${i}`;
      const h = i % 2 ? str(w, id, suffix, i % 3 ? null : `p${i}`) : row(w, Buffer.from(id), 0, id.length, suffix, null)!;
      kept.push([id, h, Buffer.from(h)]);
    }
    expect(new Set(kept.map(([, h]) => h.buffer)).size).toBeGreaterThan(10); // several chunks
    for (const [id, h, copy] of kept) {
      expect(same(h, copy)).toBe(true);
      expect(msgIdOfHeader(h)).toBe(id);
    }
  });

  it('WireHeaders: encode() returns the bytes set; reads decode them; writes are refused', () => {
    const w = new HeaderWriter();
    const wh = new WireHeaders();
    wh.wire = str(w, 'id-1', w.schemaSuffix('s1'), 'id-0');
    expect(wh.encode()).toBe(wh.wire);
    expect([wh.get(MSG_ID_HEADER), wh.get(SCHEMA_HEADER), wh.get(EXPECTED_LAST_MSG_ID_HEADER), wh.size()]).toEqual([
      'id-1',
      's1',
      'id-0',
      3,
    ]);
    wh.wire = str(w, 'id-2', w.schemaSuffix('s2'), null);
    expect([wh.get(MSG_ID_HEADER), wh.has(EXPECTED_LAST_MSG_ID_HEADER), wh.keys()]).toEqual([
      'id-2',
      false,
      [MSG_ID_HEADER, SCHEMA_HEADER],
    ]);
    expect(() => (wh as MsgHdrsImpl).set('x', 'y')).toThrow(/read-only/);
    expect(() => (wh as MsgHdrsImpl).append('x', 'y')).toThrow(/read-only/);
  });
});

const te = new TextEncoder();

/** one EncodedBatch of futures trades with the given id bytes */
function batchWithIds(ids: Uint8Array[], i0: number): { batch: EncodedBatch; ps: Publishable[] } {
  const subject = 'market.futures.trades';
  const ps: Publishable[] = ids.map((_, k) => {
    const ts = 1702900800123456789n + BigInt(i0 + k);
    return {
      subject,
      msgId: '',
      event: {
        ts_event_ns: ts,
        ts_recv_ns: ts + 5n,
        source: 'replay',
        symbol: 'ESH4',
        price: 4700.25,
        size: 1 + k,
        aggressor: 1,
        exchange: 'CME',
        conditions: null,
        seq: k,
      },
    } as Publishable;
  });
  const n = ids.length;
  const [bodyStart, bodyEnd, idStart, idEnd] = [0, 0, 0, 0].map(() => new Int32Array(n)) as [
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
  ];
  const parts: Uint8Array[] = [];
  let off = 0;
  ps.forEach((p, k) => {
    const body = encode(p.event, subject);
    bodyStart[k] = off;
    bodyEnd[k] = off += body.length;
    idStart[k] = off;
    idEnd[k] = off += at(ids, k).length;
    parts.push(body, at(ids, k));
  });
  const bytes = Buffer.concat(parts);
  const z = new Uint32Array(n);
  return {
    batch: {
      length: n,
      bytes,
      subjects: [subject],
      subject: new Uint8Array(n),
      bodyStart,
      bodyEnd,
      idStart,
      idEnd,
      keyHi: z,
      keyLo: z,
      tsHi: z,
      tsLo: z,
      source: 'replay',
    },
    ps,
  };
}

describe('JetStreamPublisher: the header bytes it publishes', () => {
  let srv: LocalNatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    srv = await startNatsServer();
    nc = await connectBus({ servers: srv.url });
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await srv?.dispose();
  });

  for (const [mode, chain] of [
    ['batch', false],
    ['ack', false],
    ['ack', true],
    ['batch', true],
  ] as const) {
    it(`rows, publish() and publishEncoded, mode ${mode}, chain ${chain}: the bytes of the former EventHeaders`, async () => {
      const stream = 'HDRS';
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      await ensureStream(nc, { name: stream, subjects: ['market.>'] });
      const sent: { id: string; bytes: Buffer }[] = [];
      const c = await connectBus({ servers: srv.url });
      const orig = c.publish.bind(c);
      c.publish = ((subject: string, data?: Uint8Array, opts?: Parameters<NatsConnection['publish']>[2]) => {
        sent.push({ id: opts?.headers?.get(MSG_ID_HEADER) ?? '', bytes: Buffer.from((opts!.headers as MsgHdrsImpl).encode()) });
        orig(subject, data, opts);
      }) as NatsConnection['publish'];
      const pub = new JetStreamPublisher(c, { mode, chain, batchSize: 7 });
      const schema = lookup('market.futures.trades').schemaId;
      // [msg id as published (text), how]
      const expected: string[] = [];
      const rowIds = [
        ...Array.from({ length: 40 }, (_, k) => Buffer.from(`row:${mode}:${chain}:${k}`)),
        Buffer.from([0x72, 0xe9, 0x2d, 0x31]),
      ];
      const { batch } = batchWithIds(rowIds, 0);
      for (let row = 0; row < batch.length; row++) {
        expect(pub.tryPublishRow(batch, row)).toBe(true);
        expected.push(Buffer.from(at(rowIds, row)).toString('latin1')); // the id's bytes as latin1 text, as always
      }
      for (let k = 0; k < 20; k++) {
        const id = `obj:${mode}:${chain}:${k}${k === 3 ? ':ü😀' : ''}`;
        const p: Publishable = { ...at(batchWithIds([te.encode('x')], 100 + k).ps, 0), msgId: id };
        await pub.publish(p);
        expected.push(id);
        const id2 = `enc:${mode}:${chain}:${k}`;
        await pub.publishEncoded('market.futures.trades', fakeBody(k), id2, schema);
        expected.push(id2);
      }
      await pub.close();
      await c.close();
      expect(pub.stats).toMatchObject({ published: expected.length, acked: expected.length, failed: 0 });
      // every event once in publish order (batch mode: plus the tail confirmation, a re-send of the last)
      const first = sent.filter((s, i) => sent.findIndex((t) => t.id === s.id) === i);
      expect(first.map((s) => s.id)).toEqual(expected);
      first.forEach((s, i) => {
        const want = old(at(expected, i), schema, chain && i > 0 ? at(expected, i - 1) : null);
        expect(s.bytes.equals(want), `${s.bytes.toString()} vs ${want.toString()}`).toBe(true);
      });
      for (const s of sent) expect(s.bytes.equals(at(first, expected.indexOf(s.id)).bytes)).toBe(true); // re-sends: the same bytes
      expect((await readStream(nc, stream)).map((m) => m.msgId)).toEqual(expected);
    });
  }
});
