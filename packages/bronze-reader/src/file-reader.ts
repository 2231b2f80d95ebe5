/**
 * One Bronze Parquet file -> batches of canonical events, row group by row group, reading only the columns
 * the table maps. At most one row group's columns are held at a time.
 */
import { open, stat } from 'node:fs/promises';
import type { EventSource, Publishable } from '@md/event-types';
import { parquetMetadataAsync, parquetSchema, type AsyncBuffer, type FileMetaData, type SchemaElement } from 'hyparquet';
import { BronzeError } from './errors.js';
import { PagePool } from './page-decode.js';
import { chunkRange, ColumnPages } from './pages.js';
import type { Col, ColumnKind, TableSpec } from './tables.js';

export interface BronzeStats {
  /** files opened */
  files: number;
  /** row groups read (after pruning) */
  rowGroups: number;
  /** row groups skipped because their ts_event_ns statistics are outside [startNs, endNs) */
  prunedRowGroups: number;
  /** rows read from the files (before filters) */
  rows: number;
  /** rows outside [startNs, endNs) or of another contract */
  filtered: number;
  /** rows failing the old system's rules (skipped, reported through onInvalid) */
  invalid: number;
  /** events delivered */
  events: number;
  /** events whose message id equals the one of an event already delivered at the same ts_event_ns (exact duplicate rows) */
  duplicates: number;
  /** rows whose ts_event_ns is below the previous row's in the same file (a file not sorted as the writer sorts) */
  outOfOrder: number;
  /** hour folders read */
  hours: number;
  /** hour folders without any part file */
  emptyHours: number;
  /** files that failed (BronzeError), including the one raised */
  failedFiles: number;
}

export function newStats(): BronzeStats {
  return {
    files: 0,
    rowGroups: 0,
    prunedRowGroups: 0,
    rows: 0,
    filtered: 0,
    invalid: 0,
    events: 0,
    duplicates: 0,
    outOfOrder: 0,
    hours: 0,
    emptyHours: 0,
    failedFiles: 0,
  };
}

export interface InvalidRow {
  /** the file's path */
  file: string;
  /** 0-based row of the file */
  row: number;
  reason: string;
}

export interface FileReadContext {
  spec: TableSpec;
  source: (rowSource: unknown) => EventSource;
  startNs: bigint | undefined;
  endNs: bigint | undefined;
  contract: string | undefined;
  batchSize: number;
  stats: BronzeStats;
  onInvalid: ((r: InvalidRow) => void) | undefined;
  onWarn: ((msg: string) => void) | undefined;
}

/** rows decoded and mapped at a time (a row group of pyarrow's default 1,048,576 rows is never decoded at once) */
export const WINDOW = 1_024;

const MAGIC = 0x31524150; // 'PAR1' little-endian

interface FileBuffer extends AsyncBuffer {
  /** reads bytes [start, start + target.length) into target */
  readInto(target: Uint8Array, start: number): Promise<void>;
}

/** An AsyncBuffer over a local file that holds no descriptor between reads (an hour may have hundreds of files). */
function fileBuffer(path: string, byteLength: number): FileBuffer {
  const readInto = async (buf: Uint8Array, start: number): Promise<void> => {
    const n = buf.byteLength;
    const end = start + n;
    if (n === 0) return;
    const fh = await open(path, 'r');
    try {
      let off = 0;
      while (off < n) {
        const { bytesRead } = await fh.read(buf, off, n - off, start + off);
        if (bytesRead === 0)
          throw new BronzeError('truncated', path, `the file ended at byte ${start + off} while reading bytes ${start}..${end}`);
        off += bytesRead;
      }
    } finally {
      await fh.close();
    }
  };
  return {
    byteLength,
    async slice(start: number, end: number = byteLength): Promise<ArrayBuffer> {
      const buf = new Uint8Array(Math.max(0, end - start));
      await readInto(buf, start);
      return buf.buffer;
    },
    readInto,
  };
}

const KIND_TYPES: Record<ColumnKind, readonly string[]> = {
  ns: ['INT64'],
  float: ['DOUBLE', 'FLOAT', 'INT32', 'INT64'],
  int: ['INT32', 'INT64'],
  string: ['BYTE_ARRAY'],
  bool: ['BOOLEAN'],
  date: ['INT32', 'BYTE_ARRAY'],
  list: ['BYTE_ARRAY'], // a LIST group is checked apart; BYTE_ARRAY is the legacy `"[12, 45]"` text
};

function isNullType(e: SchemaElement): boolean {
  const t = (e.logical_type as { type?: string } | undefined)?.type;
  return t === 'UNKNOWN' || t === 'NULL';
}

async function openMetadata(path: string): Promise<{ file: FileBuffer; metadata: FileMetaData }> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw new BronzeError('io', path, `cannot stat the file: ${(e as Error).message}`, { cause: e });
  }
  const file = fileBuffer(path, size);
  let head: DataView;
  let tail: DataView;
  try {
    head = new DataView(await file.slice(0, Math.min(4, size)));
    tail = new DataView(await file.slice(Math.max(0, size - 4), size));
  } catch (e) {
    if (e instanceof BronzeError) throw e;
    throw new BronzeError('io', path, `cannot read the file: ${(e as Error).message}`, { cause: e });
  }
  if (head.byteLength < 4 || head.getUint32(0, true) !== MAGIC) {
    throw new BronzeError('not_parquet', path, `not a Parquet file (${size} bytes, no PAR1 magic at the start)`);
  }
  if (size < 12 || tail.getUint32(0, true) !== MAGIC) {
    throw new BronzeError('truncated', path, `truncated Parquet file (${size} bytes, no PAR1 footer at the end)`);
  }
  try {
    return { file, metadata: await parquetMetadataAsync(file) };
  } catch (e) {
    if (e instanceof BronzeError) throw e;
    const msg = (e as Error).message;
    const code = /exceeds available buffer|too short|out of bounds|offset/i.test(msg) ? 'truncated' : 'corrupt';
    throw new BronzeError(code, path, `cannot read the Parquet footer: ${msg}`, { cause: e });
  }
}

/** the columns of `spec` present in the file, after checking types and that every required one is there */
function checkSchema(path: string, metadata: FileMetaData, spec: TableSpec): string[] {
  let children;
  try {
    children = parquetSchema(metadata).children;
  } catch (e) {
    throw new BronzeError('corrupt', path, `cannot read the Parquet schema: ${(e as Error).message}`, { cause: e });
  }
  const byName = new Map(children.map((c) => [c.element.name, c]));
  const present: string[] = [];
  for (const c of spec.columns) {
    const node = byName.get(c.name);
    if (node === undefined) {
      if (c.required) {
        throw new BronzeError('missing_column', path, `required column ${c.name} is missing (table ${spec.schemaName})`, {
          column: c.name,
        });
      }
      continue;
    }
    const e = node.element;
    if (isNullType(e)) {
      if (c.required) throw new BronzeError('bad_column_type', path, `required column ${c.name} has the null type`, { column: c.name });
      continue; // a null-type column (legacy FF files): read as null
    }
    const isGroup = node.children.length > 0;
    const ok =
      c.kind === 'list' ? isGroup || e.type === 'BYTE_ARRAY' : !isGroup && e.type !== undefined && KIND_TYPES[c.kind].includes(e.type);
    if (!ok) {
      const got = isGroup ? 'a nested group' : String(e.type);
      throw new BronzeError(
        'bad_column_type',
        path,
        `column ${c.name} is ${got}, expected ${c.kind === 'list' ? 'a LIST' : KIND_TYPES[c.kind].join(' or ')}`,
        {
          column: c.name,
        },
      );
    }
    present.push(c.name);
  }
  return present;
}

/** min/max of ts_event_ns from row-group statistics, when written */
function tsRange(metadata: FileMetaData, g: number, colIndex: number): [bigint, bigint] | null {
  const st = metadata.row_groups[g]?.columns[colIndex]?.meta_data?.statistics;
  const lo = st?.min_value ?? st?.min;
  const hi = st?.max_value ?? st?.max;
  return typeof lo === 'bigint' && typeof hi === 'bigint' ? [lo, hi] : null;
}

/** One window of rows of a file: the pages of its columns (decoded up to row b of the row group). */
export interface FileWindow {
  /** the columns present, by name (ColumnPages.window / windowF64 / windowI64 give rows [a, b)) */
  pages: Map<string, ColumnPages>;
  /** rows [a, b) of the row group */
  a: number;
  b: number;
  /** 0-based row of the file of row a */
  first: number;
}

/**
 * The windows of rows of one file, row group by row group (pruned by statistics), each column's pages decoded up
 * to the window's end; throws BronzeError (after the windows before the failure). Counts files, row groups, rows.
 */
export async function* fileWindows(path: string, ctx: FileReadContext): AsyncGenerator<FileWindow, void, undefined> {
  const { spec, stats, startNs, endNs } = ctx;
  const { file, metadata } = await openMetadata(path);
  const columns = checkSchema(path, metadata, spec);
  const tree = parquetSchema(metadata);
  stats.files++;
  const tsIndex = metadata.schema
    .filter((e) => e.num_children === undefined || e.num_children === 0)
    .findIndex((e) => e.name === 'ts_event_ns');
  // buffers of each column, reused from row group to row group
  const pools = new Map<string, PagePool>(columns.map((c) => [c, new PagePool()]));
  let groupStart = 0;
  for (let g = 0; g < metadata.row_groups.length; g++) {
    const rg = metadata.row_groups[g];
    const n = Number(rg?.num_rows ?? 0n);
    const start = groupStart;
    groupStart += n;
    if (n === 0) continue;
    const range = tsIndex >= 0 ? tsRange(metadata, g, tsIndex) : null;
    if (range !== null && ((startNs !== undefined && range[1] < startNs) || (endNs !== undefined && range[0] >= endNs))) {
      stats.prunedRowGroups++;
      continue;
    }
    // the needed column chunks of the row group (compressed), decoded a window of rows at a time
    const pages = new Map<string, ColumnPages>();
    for (const c of columns) {
      const cc = rg?.columns.find((x) => x.meta_data?.path_in_schema[0] === c);
      if (cc === undefined) throw new BronzeError('corrupt', path, 'the row group has no chunk for the column', { column: c, rowGroup: g });
      const [s, e] = chunkRange(cc);
      if (e > file.byteLength) {
        throw new BronzeError(
          'truncated',
          path,
          `the column chunk ends at byte ${e}, after the end of the file (${file.byteLength} bytes)`,
          {
            column: c,
            rowGroup: g,
          },
        );
      }
      try {
        const pool = pools.get(c) as PagePool;
        const bytes = pool.chunkBytes(e - s);
        await file.readInto(bytes, s);
        pages.set(c, new ColumnPages(bytes, tree, cc, n, pool));
      } catch (err) {
        if (err instanceof BronzeError) throw err;
        throw new BronzeError('corrupt', path, `cannot read the column chunk: ${(err as Error).message}`, {
          column: c,
          rowGroup: g,
          cause: err,
        });
      }
    }
    stats.rowGroups++;
    stats.rows += n;
    for (let a = 0; a < n; a += WINDOW) {
      const b = Math.min(n, a + WINDOW);
      for (const [c, p] of pages) {
        try {
          p.ensure(b);
        } catch (err) {
          throw new BronzeError('corrupt', path, `cannot decode a page: ${(err as Error).message}`, { column: c, rowGroup: g, cause: err });
        }
        if (p.available() < b) {
          throw new BronzeError('corrupt', path, `the column has ${p.available()} rows, the row group ${n}`, { column: c, rowGroup: g });
        }
      }
      yield { pages, a, b, first: start + a };
    }
    for (const p of pages.values()) p.close();
  }
}

/** Reads one file; throws BronzeError (after yielding the rows read before the failure). */
export async function* readBronzeFile(path: string, ctx: FileReadContext): AsyncGenerator<Publishable[], void, undefined> {
  const { spec, stats, startNs, endNs, contract, batchSize } = ctx;
  let lastTs: bigint | null = null;
  let warnedOrder = false;
  for await (const w of fileWindows(path, ctx)) {
    const cols: Record<string, Col> = {};
    for (const [c, p] of w.pages) cols[c] = p.window(w.a, w.b);
    yield* mapWindow(cols, w.b - w.a, w.first);
  }

  function* mapWindow(cols: Record<string, Col>, n: number, first: number): Generator<Publishable[], void, undefined> {
    const ts = cols['ts_event_ns'] as Col;
    const sym = contract !== undefined ? (cols[spec.symbolColumn] as Col) : null;
    const map = spec.bind(cols, { source: ctx.source });
    let out: Publishable[] = [];
    // reading ts[i] of a BigInt64Array makes a new bigint: only when there is something to filter on
    const filtering = startNs !== undefined || endNs !== undefined || sym !== null;
    for (let i = 0; i < n; i++) {
      const t = filtering ? ts[i] : undefined;
      if (typeof t === 'bigint') {
        if ((startNs !== undefined && t < startNs) || (endNs !== undefined && t >= endNs) || (sym !== null && sym[i] !== contract)) {
          stats.filtered++;
          continue;
        }
      }
      const r = map(i);
      if (typeof r === 'string') {
        stats.invalid++;
        ctx.onInvalid?.({ file: path, row: first + i, reason: r });
        continue;
      }
      const te = r.event.ts_event_ns;
      if (lastTs !== null && te < lastTs) {
        stats.outOfOrder++;
        if (!warnedOrder) {
          warnedOrder = true;
          ctx.onWarn?.(
            `${path}: row ${first + i} steps back in ts_event_ns (${te} < ${lastTs}); the file is not sorted, events may come out of order`,
          );
        }
      }
      lastTs = te;
      out.push(r);
      if (out.length >= batchSize) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  }
}
