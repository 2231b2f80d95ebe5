#!/usr/bin/env node
// Makes sure a `nats-server` binary is available (integration tests and the replay demo start one).
// Found on PATH (or at $NATS_SERVER_BIN): nothing to do. Missing and running as root on Debian:
// installs Debian's package. Otherwise: says which command installs it and exits non-zero.
import { execFileSync, spawnSync } from 'node:child_process';

const found = () => {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  const r = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
};

if (found()) process.exit(0);
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
