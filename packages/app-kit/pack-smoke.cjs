// Run by tools/pack-check.mjs in a scratch project where the packed tarball is installed (CommonJS).
const assert = require('node:assert/strict');
const { ConfigError, isConfigError, defineOptions, opt, parseOptions, runMain } = require('@md/app-kit');

const OPTIONS = defineOptions({ sink: opt.enum({ choices: ['nats', 'stdout'], default: 'nats' }) });
assert.throws(
  () => parseOptions(OPTIONS, { argv: ['--sink', 'kafka'], env: {} }),
  (e) => e instanceof ConfigError && isConfigError(e) && e.message === '--sink must be one of nats, stdout, got "kafka"',
);
assert.equal(parseOptions(OPTIONS, { argv: ['-h'], env: {} }), 'help');
assert.equal(typeof runMain, 'function');
