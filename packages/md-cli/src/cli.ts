/**
 * The `md` command: `md tail` and `md audit` (options in options.ts). Runs under @md/app-kit's runMain: 0 ok,
 * 1 error (NATS unreachable, no such stream: the message names it, secrets redacted), 2 usage, 3 audit
 * findings; SIGINT / SIGTERM stop cleanly; a closed stdout (`| head`) ends with 0.
 */
import { createLogger, runMain } from '@md/app-kit';
import { BusConnectError, NatsBusError, redactSecrets, type NatsConnection } from '@md/nats-bus';
import { audit, hasFindings } from './audit.js';
import { MdError, mdBusOptions, openBus } from './bus.js';
import { MD_EXIT, parseMdArgs } from './options.js';
import { LineWriter } from './out.js';
import { auditJson, auditText } from './report.js';
import { tail } from './tail.js';

const log = createLogger({ name: 'md', level: 'warn' });

void runMain(
  'md',
  async (ctx) => {
    const args = parseMdArgs(ctx.argv, ctx.env);
    if ('help' in args) return void ctx.stdout.write(args.help);
    log.level = args.logLevel;
    log.addSecret(ctx.env.NATS_PASSWORD, ctx.env.NATS_TOKEN, ctx.env.NATS_NKEY_SEED);
    const busOpts = mdBusOptions(args.natsUrl, ctx.env, (m) => log.info(m));
    const clean = (e: unknown) => log.redact(redactSecrets((e as Error)?.message ?? String(e), busOpts));
    let nc: NatsConnection | null = null;
    try {
      nc = await openBus(busOpts);
      if (args.command === 'tail') {
        const out = new LineWriter(ctx.stdout as unknown as ConstructorParameters<typeof LineWriter>[0]);
        const h = tail(
          nc,
          {
            stream: args.stream,
            subjects: args.subjects,
            since: args.since ?? null,
            last: args.last,
            limit: args.limit ?? null,
            follow: args.follow,
            pretty: args.pretty,
          },
          out,
          (m) => log.warn(m),
        );
        ctx.onStop(() => h.stop());
        const r = await h.done;
        const notes = [
          r.skippedBeforeSince && `${r.skippedBeforeSince} events before --since skipped`,
          r.undecodable && `${r.undecodable} undecodable messages skipped`,
        ].filter(Boolean);
        log.info(`${r.printed} events printed${notes.length ? `; ${notes.join(', ')}` : ''}`);
        if (r.timedOut) log.warn('stopped before the end of the stream: no message for 10 s');
        return MD_EXIT.ok;
      }
      const r = await audit(nc, {
        stream: args.stream,
        subjects: args.subjects,
        examples: args.examples,
        idleTimeoutMs: args.idleTimeout,
        signal: ctx.signal,
        progress: (read, seq, end) => log.info(`audit: ${read} messages read, at seq ${seq} of ${end}`),
      });
      ctx.stdout.write(args.json ? auditJson(r) + '\n' : auditText(r));
      if (!r.complete) return MD_EXIT.error;
      return hasFindings(r) ? MD_EXIT.findings : MD_EXIT.ok;
    } catch (e) {
      if (e instanceof MdError || e instanceof BusConnectError || e instanceof NatsBusError) {
        ctx.stderr.write(`md: ${clean(e)}\n`);
        return MD_EXIT.error;
      }
      throw new Error(clean(e), { cause: e });
    } finally {
      await nc?.close().catch(() => undefined);
    }
  },
  { logger: log },
);
