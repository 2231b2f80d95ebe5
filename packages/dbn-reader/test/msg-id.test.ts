/**
 * The DBN message id (src/msg-id.ts): what `dbnMsgId` formats, `parseDbnMsgId` gives back, for random
 * ids whose file names contain ':' and odd characters; anything else parses to null.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '@md/test-support';
import { dbnMsgId, parseDbnMsgId, toFuturesTrade, type DbnMsgIdParts } from '../src/index.js';
import { trade } from './events-helpers.js';

const SUBJECTS = ['market.futures.trades', 'market.futures.mbp10', 'market.options.trades', 'x'];
// ':' first: a file name may hold any number of them, at either end too
const FILE_CHARS = [':', ':', '.', '-', '_', ' ', '/', '\\', '%', '\t', '\n', 'é', '日', '😀', 'a', 'Z', '0', '9'];

function randomFile(rng: Rng): string {
  const n = rng.int(0, 24);
  let s = '';
  for (let i = 0; i < n; i++) s += rng.pick(FILE_CHARS);
  return s;
}

function randomParts(rng: Rng): DbnMsgIdParts {
  return {
    subject: rng.pick(SUBJECTS),
    instrumentId: rng.pick([0, 0xffffffff, rng.u32()]),
    tsRecv: rng.pick([0n, 0xffff_ffff_ffff_ffffn, 1735828209740076436n + BigInt(rng.u32()), rng.u64()]),
    sequence: rng.pick([0, 0xffffffff, rng.u32()]),
    file: rng.pick([randomFile(rng), 'glbx-mdp3-20250102.trades.dbn.zst', 'a:b:c:1:2:3', ':', '']),
    recordIndex: rng.pick([0, Number.MAX_SAFE_INTEGER, rng.int(0, 10_000_000)]),
  };
}

const format = (p: DbnMsgIdParts): string =>
  dbnMsgId(p.subject, p.instrumentId, p.tsRecv, p.sequence, { fileBaseName: p.file, recordIndex: p.recordIndex });

describe('DBN message ids', () => {
  it('format: subject:instrument:ts_recv:sequence:fileBaseName:recordIndex', () => {
    expect(
      dbnMsgId('market.futures.trades', 42140878, 1735828209740076436n, 10014932, {
        fileBaseName: 'glbx-mdp3-20250102.trades.dbn.zst',
        recordIndex: 2397,
      }),
    ).toBe('market.futures.trades:42140878:1735828209740076436:10014932:glbx-mdp3-20250102.trades.dbn.zst:2397');
  });

  it('parse(format(parts)) gives the parts back, and format(parse(id)) the id, for 5000 random ids', () => {
    const seed = Number(process.env.MSG_ID_SEED ?? 20250102);
    const rng = new Rng(seed);
    for (let k = 0; k < 5000; k++) {
      const parts = randomParts(rng);
      const id = format(parts);
      const back = parseDbnMsgId(id);
      expect(back, `seed ${seed} case ${k}: ${JSON.stringify(id)}`).toStrictEqual(parts);
      expect(format(back as DbnMsgIdParts)).toBe(id);
    }
  });

  it("a file name full of ':' is everything between the 4th and the last ':'", () => {
    expect(parseDbnMsgId('s:1:2:3:a:b::c:4')).toStrictEqual({
      subject: 's',
      instrumentId: 1,
      tsRecv: 2n,
      sequence: 3,
      file: 'a:b::c',
      recordIndex: 4,
    });
    expect(parseDbnMsgId('s:1:2:3::4')?.file).toBe('');
    expect(parseDbnMsgId('s:1:2:3:::4')?.file).toBe(':');
  });

  it('the ids the mappers write parse back to the record they came from', () => {
    const rec = trade({ id: 77, sequence: 123456 });
    const p = toFuturesTrade(rec, 'ESH5', { fileBaseName: 'odd:name 1.dbn.zst', recordIndex: 31 });
    expect(parseDbnMsgId(p.msgId)).toStrictEqual({
      subject: p.subject,
      instrumentId: 77,
      tsRecv: rec.ts_recv,
      sequence: 123456,
      file: 'odd:name 1.dbn.zst',
      recordIndex: 31,
    });
  });

  it.each([
    ['empty', ''],
    ['no separators', 'market.futures.trades'],
    ['five fields', 'market.futures.trades:1:2:3:4'],
    ['empty subject', ':1:2:3:f:4'],
    ['empty instrument id', 's::2:3:f:4'],
    ['empty ts_recv', 's:1::3:f:4'],
    ['empty sequence', 's:1:2::f:4'],
    ['empty record index', 's:1:2:3:f:'],
    ['leading zero', 's:01:2:3:f:4'],
    ['leading zero in the index', 's:1:2:3:f:04'],
    ['negative', 's:-1:2:3:f:4'],
    ['plus sign', 's:1:+2:3:f:4'],
    ['exponent', 's:1:2e3:3:f:4'],
    ['fraction', 's:1:2:3.5:f:4'],
    ['hex', 's:0x1:2:3:f:4'],
    ['spaces', 's: 1:2:3:f:4'],
    ['instrument id past u32', 's:4294967296:2:3:f:4'],
    ['sequence past u32', 's:1:2:99999999999:f:4'],
    ['ts_recv past u64', 's:1:18446744073709551616:3:f:4'],
    ['record index past 2^53', 's:1:2:3:f:9007199254740992'],
    ['text where the index goes', 's:1:2:3:f:x'],
    ['a Polygon-style id', 'T.AAPL:1735828209740:12345'],
  ])('not a DBN message id (%s): null', (_what, id) => {
    expect(parseDbnMsgId(id)).toBeNull();
  });

  it('non-strings are null, not an exception', () => {
    expect(parseDbnMsgId(undefined as unknown as string)).toBeNull();
    expect(parseDbnMsgId(42 as unknown as string)).toBeNull();
  });
});
