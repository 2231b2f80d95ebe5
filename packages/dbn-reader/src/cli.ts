/**
 * The `dbn` command, in two forms:
 *
 *   dbn FILE... -J|-C|-T [options]  Databento's form (its `dbn` CLI): NDJSON, CSV or TSV of one file or of
 *                                  several merged by index timestamp; -m metadata, -o FILE, ... (cli-transcode.ts)
 *   dbn metadata FILE               the metadata as one JSON object
 *   dbn json FILE                   one JSON line per record, shaped like Databento's `dbn FILE --json`
 *   dbn events FILE                 canonical events, `subject<TAB>body` per line
 *
 * The options are ONE @md/app-kit option table, in cli-options.ts, with the help text. This file runs the
 * command under app-kit's runMain: errors go to stderr (with the file and byte offset) and exit 1 for bad data
 * or I/O, 2 for bad usage; a closed stdout (EPIPE, `| head`) ends the command quietly with 0; SIGINT / SIGTERM
 * exit at once (130).
 */
import { basename } from 'node:path';
import { createLogger, EXIT_CODES, isConfigError, ConfigError, runMain, type MainContext } from '@md/app-kit';
import { encodeToString } from '@md/event-types';
import { metadataToDbnJson, recordToDbnJson } from './cli-json.js';
import { CsvMixedSchemaError, runTranscode } from './cli-transcode.js';
import { MetadataMergeError } from './cli-merge.js';
import { DBN_HELP, parseDbnArgs, type DbnArgs, type DbnCommandArgs } from './cli-options.js';
import { Out, OutputFileError } from './cli-output.js';
import { decodeDbn } from './decode/stream.js';
import { DbnError } from './errors.js';
import { mapDbnFile, type DbnEventKind } from './mapping.js';

/** The schemas each kind of events is mapped from (mapping.ts: trades and mbp10 one rtype, options 0x00/0x01). */
const KIND_SCHEMAS: Record<DbnEventKind, readonly string[]> = {
  trades: ['trades'],
  mbp10: ['mbp-10'],
  options: ['trades', 'tbbo', 'mbp-1'],
};

function kindMismatch(file: string, kind: DbnEventKind, schema: string): ConfigError {
  return new ConfigError(
    `${file}: --kind ${kind} does not fit the file's schema ${schema} (${kind} events come from ${KIND_SCHEMAS[kind].join(' / ')} records)`,
    { option: '--kind', value: kind },
  );
}

/** Releases a stream's file after reading only its metadata (errors past the metadata are not ours to report here). */
async function closeQuietly(s: { close(): Promise<void> }): Promise<void> {
  try {
    await s.close();
  } catch {
    // the records are not read: a fault among them does not concern metadata
  }
}

async function run(args: DbnCommandArgs, out: Out, ctx: MainContext): Promise<void> {
  const { file } = args;
  const limit = args.limit ?? Infinity;
  const stdin = file === '-';
  const input = stdin ? process.stdin : file;
  const fileName = stdin ? '<stdin>' : file;
  if (args.command === 'metadata') {
    const s = decodeDbn(input, { upgradePolicy: args.upgrade ? 'upgrade' : 'as-is', version: args.fragment, fileName });
    const m = await s.metadata();
    await closeQuietly(s);
    if (m === null) throw new ConfigError(`${fileName}: a fragment has no metadata`);
    await out.line(metadataToDbnJson(m, args.pretty));
    return;
  }
  if (args.command === 'json') {
    if (limit === 0) return;
    const s = decodeDbn(input, { upgradePolicy: args.upgrade ? 'upgrade' : 'as-is', version: args.fragment, fileName });
    const m = await s.metadata();
    const version = args.upgrade ? 3 : (m?.sourceVersion ?? args.fragment ?? 3);
    let n = 0;
    for await (const batch of s.batches()) {
      for (const rec of batch) {
        await out.line(recordToDbnJson(rec, version, args.pretty));
        if (++n >= limit) return;
      }
    }
    return;
  }
  // events
  let kind = args.kind;
  if (kind === undefined && stdin) throw new ConfigError('events from standard input need --kind trades|mbp10|options');
  if (kind === undefined) {
    const probe = decodeDbn(file);
    const m = await probe.metadata();
    await closeQuietly(probe);
    const opra = m?.dataset.startsWith('OPRA') ?? false;
    if (m?.schema === 'mbp-10') kind = 'mbp10';
    else if (m?.schema === 'trades') kind = opra ? 'options' : 'trades';
    else if (m?.schema === 'tbbo' && opra) kind = 'options';
    else
      throw new ConfigError(
        `${file}: schema ${m?.schema ?? 'none'} has no canonical events; pass --kind trades|mbp10|options to force one`,
      );
  }
  if (limit === 0) return;
  const ev = mapDbnFile(input, {
    kind,
    fileBaseName: stdin ? 'stdin' : basename(file),
    onWarning: (w) =>
      ctx.stderr.write(`dbn: warning: ${w.file}${w.recordIndex !== undefined ? ` record #${w.recordIndex}` : ''}: ${w.message}\n`),
  });
  // an explicit --kind must fit the schema (a mixed-schema file: at least one record must map, checked below)
  const meta = await ev.metadata();
  if (meta?.schema != null && !KIND_SCHEMAS[kind].includes(meta.schema)) throw kindMismatch(fileName, kind, meta.schema);
  let n = 0;
  for await (const batch of ev.batches()) {
    for (const p of batch) {
      await out.line(`${p.subject}\t${encodeToString(p.event, p.subject)}`);
      if (++n >= limit) return;
    }
  }
  const st = ev.stats;
  if (st.records > 0 && st.events === 0 && st.skipped === st.records)
    throw kindMismatch(fileName, kind, `${meta?.schema ?? 'none (mixed)'}: none of its ${st.records} records`);
}

/** The command: 0 done, 1 bad data or I/O (`dbn: <ErrorClass>: <message>`), 2 usage (a ConfigError). */
export async function main(ctx: MainContext): Promise<number> {
  let args: DbnArgs | 'help';
  try {
    args = parseDbnArgs(ctx.argv, ctx.env);
  } catch (e) {
    if (!isConfigError(e)) throw e;
    ctx.stderr.write(`dbn: ${e.message}\n\n${DBN_HELP}`);
    return EXIT_CODES.config;
  }
  if (args === 'help') {
    ctx.stdout.write(DBN_HELP);
    return EXIT_CODES.ok;
  }
  const inputs = args.command === 'transcode' ? args.files.join(', ') : args.file;
  const out = new Out(process.stdout);
  try {
    if (args.command === 'transcode') await runTranscode(args);
    else await run(args, out, ctx);
    await out.flush();
    return EXIT_CODES.ok;
  } catch (e) {
    await out.flush().catch(() => undefined);
    // a usage error found while running (no metadata to map with, ...): runMain writes `dbn: <message>`, exit 2
    if (isConfigError(e)) throw e;
    // DbnError messages name the file and byte offset already, the CLI's own errors what and where
    const named =
      e instanceof DbnError || e instanceof MetadataMergeError || e instanceof CsvMixedSchemaError || e instanceof OutputFileError;
    const msg = named ? `${e.name}: ${e.message}` : `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)} [${inputs}]`;
    ctx.stderr.write(`dbn: ${msg}\n`);
    return EXIT_CODES.fatal;
  }
}

// No stop handler: a signal exits at once (130) and a closed stdout (EPIPE) at once with 0, as before the kit.
// The logger only for errors: runMain's "stdout closed (EPIPE)" / "SIGINT: exiting" notices stay out of stderr.
void runMain('dbn', main, { logger: createLogger({ name: 'dbn', level: 'error' }) });
