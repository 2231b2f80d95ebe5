/**
 * The operations options both apps take, with one name each: the metrics / health endpoint and the log format.
 * Spread into an app's option table: `defineOptions({ ..., ...opsOptions(), logLevel: ... })`.
 */
import { isLogFormat, LOG_FORMATS, type LogFormat } from './logger.js';
import { opt, type Env } from './options.js';

// prettier-ignore
export function opsOptions() {
  return {
    metricsPort: opt.number({ env: 'MD_METRICS_PORT', int: true, min: 0, max: 65535, default: null, placeholder: 'PORT', defaultText: 'off',
      label: '--metrics-port / MD_METRICS_PORT', help: 'serve /metrics (Prometheus), /healthz and /readyz on this port (0: any free one, logged)' }),
    metricsHost: opt.string({ env: 'MD_METRICS_HOST', default: '127.0.0.1', placeholder: 'HOST', label: '--metrics-host / MD_METRICS_HOST',
      help: 'the interface of the metrics endpoint (0.0.0.0: every interface)' }),
    logFormat: opt.enum({ env: 'MD_LOG_FORMAT', choices: LOG_FORMATS, default: 'text', label: '--log-format / MD_LOG_FORMAT',
      help: 'log lines on stderr: text, or json (one object per line: time, level, name, msg, fields)' }),
  };
}

/**
 * The log format asked for, read before the option table is parsed (so that a configuration error is written in
 * it too): the last `--log-format X` / `--log-format=X` before a `--`, else MD_LOG_FORMAT; 'text' when neither
 * names a format (a bad value is then reported by the parser).
 */
export function peekLogFormat(argv: readonly string[], env: Env): LogFormat {
  let v: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') break;
    if (a === '--log-format') v = argv[++i];
    else if (a.startsWith('--log-format=')) v = a.slice('--log-format='.length);
  }
  v ??= env.MD_LOG_FORMAT;
  return isLogFormat(v) ? v : 'text';
}
