#!/usr/bin/env node
// Makes sure a `nats-server` binary is available (integration tests and the replay demo start one).
// Found where @md/nats-bus/testing's startNatsServer looks ($NATS_SERVER_BIN, PATH, then /usr/sbin,
// /usr/local/sbin, /usr/local/bin, /usr/bin: Debian installs it in /usr/sbin, not on every user's PATH):
// nothing to do. Missing and running as root on Debian: installs Debian's package. Otherwise: says which
// command installs it and exits non-zero.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const isExec = (p) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

const found = () => {
  const bin = process.env.NATS_SERVER_BIN;
  if (bin) return bin.includes('/') ? (isExec(bin) ? bin : null) : lookFor(bin);
  return lookFor('nats-server');
};

function lookFor(name) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin'];
  return (
    dirs
      .filter(Boolean)
      .map((d) => join(d, name))
      .find(isExec) ?? null
  );
}

if (found()) process.exit(0);
if (process.env.NATS_SERVER_BIN) {
  console.error(`NATS_SERVER_BIN=${process.env.NATS_SERVER_BIN} is not an executable nats-server: fix it or unset it.`);
  process.exit(1);
}
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
if (isRoot && hasApt) {
  console.error('nats-server not found: installing Debian package nats-server (apt-get install -y nats-server)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'nats-server'], { stdio: 'inherit', env });
  if (found()) process.exit(0);
}
console.error('nats-server is not installed. Install it with: sudo apt-get install -y nats-server (Debian/Ubuntu),');
console.error('or put a nats-server binary on PATH, or point NATS_SERVER_BIN at one.');
process.exit(1);
