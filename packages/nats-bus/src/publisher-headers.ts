/**
 * The header bytes of every event, written straight into chunks of memory (no MsgHdrs object, no header text
 * string per event), and the ONE MsgHdrs object nats.js is handed for every publish: its encode() returns the
 * bytes of the event being published (set just before each synchronous `nc.publish`; nats.js keeps a reference
 * to the returned bytes until its socket flush, and they are never written again).
 *
 * The bytes are exactly the header block nats.js would write for these headers (`headerText`, what the
 * former per-event EventHeaders encoded): `NATS/1.0\r\n`, `Nats-Msg-Id: <id>\r\n`, `md-schema: <schema>\r\n`,
 * with the order chain `Nats-Expected-Last-Msg-Id: <id>\r\n`, then a blank line; the values UTF-8.
 *
 * Chunks: written sequentially, never reused. An event keeps a view of its bytes (re-sent by a recovery as
 * they are); a full chunk is replaced by a new one and freed by the GC once no event refers to it.
 */
import { MsgHdrsImpl } from '@nats-io/transport-node';
import { MSG_ID_HEADER, SCHEMA_HEADER } from '@md/event-types';
import { EXPECTED_LAST_MSG_ID_HEADER } from './publisher-chain.js';

/** the header block of an event as text (the reference the written bytes equal, UTF-8 encoded) */
export const headerText = (msgId: string, schemaId: string, expectLastMsgId: string | null = null): string =>
  `NATS/1.0\r\n${MSG_ID_HEADER}: ${msgId}\r\n${SCHEMA_HEADER}: ${schemaId}\r\n` +
  (expectLastMsgId ? `${EXPECTED_LAST_MSG_ID_HEADER}: ${expectLastMsgId}\r\n` : '') +
  '\r\n';

/** the header block of an event as bytes, on its own (a recovery re-anchoring the chain) */
export const headerBytes = (msgId: string, schemaId: string, expectLastMsgId: string | null = null): Uint8Array =>
  Buffer.from(headerText(msgId, schemaId, expectLastMsgId), 'utf8');

const PREFIX = Buffer.from(`NATS/1.0\r\n${MSG_ID_HEADER}: `, 'latin1');
/** where the message id starts in an event's header bytes */
export const MSG_ID_AT = PREFIX.length;
const EXPECT = Buffer.from(`${EXPECTED_LAST_MSG_ID_HEADER}: `, 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');
const CHUNK = 64 * 1024;
/** schema suffixes cached (a caller could pass any string: bounded) */
const MAX_SUFFIXES = 64;

/** The message id of the header bytes `buf[at..end)` written here (the UTF-8 text up to the line's CR). */
export function msgIdOfHeader(buf: Uint8Array, at = 0, end = buf.length): string {
  let e = at + MSG_ID_AT;
  while (e < end && buf[e] !== 13) e++;
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8', at + MSG_ID_AT, e);
}

/**
 * Writes header blocks one after the other: fromBytes / fromString return where the block starts in `chunk`
 * (the chunk current right after the call), `end` where it ends; nothing is allocated per block.
 */
export class HeaderWriter {
  private buf: Buffer = Buffer.allocUnsafeSlow(CHUNK);
  private u8: Uint8Array = new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private pos = 0;

  /** the chunk the last block was written into */
  get chunk(): Uint8Array {
    return this.u8;
  }
  /** where the last block ends in `chunk` */
  get end(): number {
    return this.pos;
  }
  /** the last block written, from `start` (a view: tests, and whoever wants the bytes as such) */
  view(start: number): Uint8Array {
    return this.u8.subarray(start, this.pos);
  }
  private readonly suffixes = new Map<string, Uint8Array>();

  /** `\r\nmd-schema: <schemaId>\r\n`: what follows the message id (cache it per subject) */
  schemaSuffix(schemaId: string): Uint8Array {
    let s = this.suffixes.get(schemaId);
    if (s === undefined) {
      if (this.suffixes.size >= MAX_SUFFIXES) this.suffixes.clear();
      s = Buffer.from(`\r\n${SCHEMA_HEADER}: ${schemaId}\r\n`, 'utf8');
      this.suffixes.set(schemaId, s);
    }
    return s;
  }

  /** make room for `n` more bytes (a new chunk when the current one is too full) */
  private room(n: number): void {
    if (this.pos + n <= this.u8.length) return;
    this.buf = Buffer.allocUnsafeSlow(Math.max(CHUNK, n));
    this.u8 = new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos = 0;
  }

  private put(src: Uint8Array): void {
    this.u8.set(src, this.pos);
    this.pos += src.length;
  }

  /** close the block that started at `start`: the expectation, if any, and the blank line */
  private finish(start: number, expectLastMsgId: string | null): number {
    if (expectLastMsgId) {
      this.put(EXPECT);
      this.pos += this.buf.write(expectLastMsgId, this.pos, 'utf8');
      this.put(CRLF);
    }
    this.put(CRLF);
    return start;
  }

  private static bound(suffix: Uint8Array, expectLastMsgId: string | null): number {
    return PREFIX.length + suffix.length + (expectLastMsgId ? EXPECT.length + 3 * expectLastMsgId.length + 2 : 0) + 2;
  }

  /**
   * The header block for the message id `src[s..e)` (ASCII bytes, copied as they are): -1, writing nothing,
   * when the id has a CR or LF, or a byte above 0x7f (the caller takes the string path: `fromString` of its
   * latin1 text writes the UTF-8 bytes the text path always wrote).
   */
  fromBytes(src: Uint8Array, s: number, e: number, suffix: Uint8Array, expectLastMsgId: string | null): number {
    this.room(e - s + HeaderWriter.bound(suffix, expectLastMsgId));
    const u8 = this.u8;
    const start = this.pos;
    let p = start + PREFIX.length;
    for (let i = s; i < e; i++) {
      const c = src[i] as number;
      if (c > 0x7f || c === 13 || c === 10) return -1; // pos not advanced: nothing kept
      u8[p++] = c;
    }
    u8.set(PREFIX, start);
    this.pos = p;
    this.put(suffix);
    return this.finish(start, expectLastMsgId);
  }

  /** the header block for a message id given as text (UTF-8; the caller has checked it has no CR / LF) */
  fromString(msgId: string, suffix: Uint8Array, expectLastMsgId: string | null): number {
    this.room(3 * msgId.length + HeaderWriter.bound(suffix, expectLastMsgId));
    const start = this.pos;
    this.put(PREFIX);
    this.pos += this.buf.write(msgId, this.pos, 'utf8');
    this.put(suffix);
    return this.finish(start, expectLastMsgId);
  }
}

/**
 * The one MsgHdrs object handed to nats.js: encode() returns the bytes set just before the publish. Read-only;
 * whoever reads it like any MsgHdrs (a wrapper of nc.publish in a test) sees the headers of those bytes, decoded
 * when asked for.
 */
export class WireHeaders extends MsgHdrsImpl {
  wire: Uint8Array = new Uint8Array(0);
  private decodedFrom: Uint8Array | null = null;
  override encode(): Uint8Array {
    return this.wire;
  }
  private sync(): void {
    if (this.decodedFrom === this.wire) return;
    this.headers = MsgHdrsImpl.decode(this.wire).headers;
    this.decodedFrom = this.wire;
  }
  // every read of MsgHdrsImpl goes through one of these (get / has / values / last / findKeys / toRecord: keys())
  override keys(): string[] {
    this.sync();
    return super.keys();
  }
  override size(): number {
    this.sync();
    return super.size();
  }
  override [Symbol.iterator](): IterableIterator<[string, string[]]> {
    this.sync();
    return super[Symbol.iterator]();
  }
  override toString(): string {
    this.sync();
    return super.toString();
  }
  override equals(mh: MsgHdrsImpl): boolean {
    this.sync();
    return super.equals(mh);
  }
  override set(): void {
    throw new TypeError("the publisher's headers are read-only");
  }
  override append(): void {
    throw new TypeError("the publisher's headers are read-only");
  }
  override delete(): void {
    throw new TypeError("the publisher's headers are read-only");
  }
}

/** a header value must not contain CR or LF (it would end the header line) */
export const badHeaderValue = (v: string) => v.includes('\r') || v.includes('\n');
