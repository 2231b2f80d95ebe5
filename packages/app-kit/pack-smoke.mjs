// Run by tools/pack-check.mjs in a scratch project where the packed tarball is installed (ESM).
import assert from 'node:assert/strict';
import { ConfigError, createLogger, defineOptions, helpText, markdownOptionsTable, opt, parseOptions, redact } from '@md/app-kit';

const OPTIONS = defineOptions({
  speed: opt.number({ env: 'APP_SPEED', min: 0, default: 1, help: 'replay speed' }),
  window: opt.duration({ unit: 'ms', as: 'ns', default: '100ms' }),
});
const r = parseOptions(OPTIONS, { argv: ['--window', '250us'], env: { APP_SPEED: '2' } });
assert.notEqual(r, 'help');
assert.deepEqual(r.values, { speed: 2, window: 250_000n });
assert.throws(
  () => parseOptions(OPTIONS, { argv: ['--speed', '-1'], env: {} }),
  (e) => e instanceof ConfigError && e.code === 'E_CONFIG',
);
assert.match(helpText(OPTIONS), /--speed X +replay speed \[APP_SPEED\] \(1\)/);
assert.match(markdownOptionsTable(OPTIONS), /\| `--speed X` \| `APP_SPEED` \| `1` \| replay speed \|/);
assert.equal(redact('nats://u:pw@h:4222'), 'nats://u:***@h:4222');
const lines = [];
createLogger({ write: (l) => lines.push(l), secrets: ['s3cret-key'] }).info('key s3cret-key');
assert.match(lines[0], /^\d{4}-\d\d-\d\dT.*Z INFO key \*\*\*\n$/);
