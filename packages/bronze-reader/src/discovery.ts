/**
 * The lake's hive layout: `<root>/bronze/<table dir>/<key>=<value>/date=YYYY-MM-DD/hour=HH/part-*.parquet`
 * (dates and hours UTC). Legacy writers also put files directly under `date=…/` (no hour); they are listed too.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BronzeError } from './errors.js';
import { BRONZE_TABLES, tableSpec, type BronzeTable } from './tables.js';

export interface BronzeHour {
  /** two digits, `00`..`23` (UTC) */
  hour: string;
  dir: string;
  /** the hour's `*.parquet` files, full paths, sorted by name (the writer names them by flush time) */
  files: string[];
}

export interface BronzeDateFiles {
  table: BronzeTable;
  /** the partition value (`SPY`, `ES`) */
  partition: string;
  date: string;
  /** the `date=` folder (it may not exist) */
  dir: string;
  /** `*.parquet` files directly under the date folder (legacy flat-file / REST writers), sorted */
  dateLevelFiles: string[];
  /** the hour folders present, ascending; an empty one has `files: []` */
  hours: BronzeHour[];
}

const DATE_RE = /^date=(\d{4}-\d{2}-\d{2})$/;
const HOUR_RE = /^hour=(\d{2})$/;

/** `<root>/bronze` when it exists, else `root` itself (the caller passed the bronze folder). */
export async function bronzeDir(root: string): Promise<string> {
  const b = join(root, 'bronze');
  try {
    if ((await stat(b)).isDirectory()) return b;
  } catch {
    // not there: root is the bronze folder
  }
  return root;
}

async function entries(dir: string): Promise<{ name: string; dir: boolean }[] | null> {
  try {
    const es = await readdir(dir, { withFileTypes: true });
    return es.map((e) => ({ name: e.name, dir: e.isDirectory() })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new BronzeError('io', dir, `cannot list the folder: ${(e as Error).message}`, { cause: e });
  }
}

const isParquet = (e: { name: string; dir: boolean }) => !e.dir && e.name.endsWith('.parquet') && !e.name.startsWith('.');

/** The partition folder of a table: `<bronze>/<dir>/<key>=<value>`. */
export async function partitionDir(root: string, table: BronzeTable, partition?: string): Promise<string> {
  const spec = tableSpec(table);
  return join(await bronzeDir(root), spec.dir, `${spec.partitionKey}=${partition ?? spec.defaultPartition}`);
}

/**
 * The dates (`YYYY-MM-DD`, ascending) that have a `date=` folder for the table and partition (default `SPY`
 * for stocks and options, `ES` for futures), as the old reader's `get_available_dates`. Without a table: the
 * union over all tables, each with its default partition (or `partition`).
 */
export async function listBronzeDates(root: string, table?: BronzeTable, partition?: string): Promise<string[]> {
  const tables = table === undefined ? BRONZE_TABLES : [table];
  const out = new Set<string>();
  for (const t of tables) {
    const es = await entries(await partitionDir(root, t, partition));
    for (const e of es ?? []) {
      const m = e.dir ? DATE_RE.exec(e.name) : null;
      if (m?.[1] !== undefined) out.add(m[1]);
    }
  }
  return [...out].sort();
}

/** The files of one table, partition and date: hour folders in order, each hour's part files by name. */
export async function listBronzeFiles(root: string, table: BronzeTable, date: string, partition?: string): Promise<BronzeDateFiles> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new TypeError(`date must be YYYY-MM-DD, got ${JSON.stringify(date)}`);
  const spec = tableSpec(table);
  const dir = join(await partitionDir(root, table, partition), `date=${date}`);
  const res: BronzeDateFiles = { table, partition: partition ?? spec.defaultPartition, date, dir, dateLevelFiles: [], hours: [] };
  const es = await entries(dir);
  if (es === null) return res;
  for (const e of es) {
    if (isParquet(e)) res.dateLevelFiles.push(join(dir, e.name));
    const m = e.dir ? HOUR_RE.exec(e.name) : null;
    if (m?.[1] !== undefined && Number(m[1]) <= 23) {
      const hdir = join(dir, e.name);
      const files = ((await entries(hdir)) ?? []).filter(isParquet).map((f) => join(hdir, f.name));
      res.hours.push({ hour: m[1], dir: hdir, files });
    }
  }
  return res;
}
