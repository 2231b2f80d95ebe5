/**
 * The public surface, pinned: the values the main entry and `@md/dbn-reader/sample` export (types are
 * checked by tsc). A change here is a change of the package's API: update the README with it.
 */
import { describe, expect, it } from 'vitest';
import * as main from '../src/index.js';
import * as sample from '../src/sample.js';
import { FIXED_PRICE_SCALE, UNDEF_PRICE } from '@md/event-types';

describe('public API', () => {
  it('the main entry exports exactly the library API', () => {
    expect(Object.keys(main).sort()).toStrictEqual([
      'ACTION',
      'DATA_ROOT_KINDS',
      'DATA_ROOT_LAYOUT',
      'DBN_VERSION',
      'DbnBadMagicError',
      'DbnBadRecordLengthError',
      'DbnDataRoot',
      'DbnDataRootError',
      'DbnEncodeError',
      'DbnEncoder',
      'DbnError',
      'DbnIoError',
      'DbnMappingError',
      'DbnMetadataError',
      'DbnTruncatedError',
      'DbnUnsupportedVersionError',
      'DbnZstdError',
      'FIXED_PRICE_SCALE',
      'FLAGS',
      'PUBLISHER_VENUES',
      'RType',
      'SCHEMA_NAMES',
      'SIDE',
      'STYPE_NAMES',
      'SymbolMap',
      'SymbologyJsonError',
      'UNDEF_ORDER_SIZE',
      'UNDEF_PRICE',
      'UNDEF_STAT_QUANTITY',
      'UNDEF_STAT_QUANTITY_V1',
      'UNDEF_TIMESTAMP',
      'UNMAPPED_PREFIX',
      'dateToNs',
      'dbnMsgId',
      'decodeDbn',
      'decodeRecord',
      'encodeMetadata',
      'encodeRecord',
      'fastEncodedBatches',
      'loadSymbologyJson',
      'mapDbnFile',
      'mapDbnFileBatches',
      'nsToDate',
      'osiToOptionTicker',
      'parseDbnMsgId',
      'parseSymbologyJson',
      'scanDbn',
      'toFuturesTrade',
      'toMbp10',
      'toOptionTrade',
      'toV3Record',
    ]);
  });

  it('the sample generator is on its own entry, not on the main one', () => {
    expect(Object.keys(sample).sort()).toStrictEqual(['SAMPLE_DEFAULTS', 'SAMPLE_ES_INSTRUMENT_ID', 'generateSampleSession', 'osiSymbol']);
    for (const k of Object.keys(sample)) expect(main).not.toHaveProperty(k);
  });

  it('UNDEF_PRICE and FIXED_PRICE_SCALE are re-exported from @md/event-types', () => {
    expect(main.UNDEF_PRICE).toBe(UNDEF_PRICE);
    expect(main.FIXED_PRICE_SCALE).toBe(FIXED_PRICE_SCALE);
    expect(main.UNDEF_PRICE).toBe(2n ** 63n - 1n);
  });
});
