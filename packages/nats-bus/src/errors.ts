/** Typed errors of @md/nats-bus. Messages never contain passwords, tokens or seeds. */

/** The base of every error this package defines (`instanceof NatsBusError` catches them all). */
export class NatsBusError extends Error {
  override readonly name: string = 'NatsBusError';
}

/** `nats-server` is not on PATH (or at NATS_SERVER_BIN / the `bin` option). */
export class NatsServerNotInstalledError extends NatsBusError {
  override readonly name = 'NatsServerNotInstalledError';
  constructor(readonly bin: string) {
    super(
      `nats-server not found (looked for "${bin}"${bin.includes('/') ? '' : ' on PATH'}). ` +
        'Install it with: sudo apt-get install -y nats-server (Debian/Ubuntu), ' +
        'or put a nats-server binary on PATH, or point NATS_SERVER_BIN at one.',
    );
  }
}

/** A local nats-server did not start (bad config, port in use, exited early, not ready in time), or could not be frozen. */
export class NatsServerStartError extends NatsBusError {
  override readonly name = 'NatsServerStartError';
  constructor(
    message: string,
    /** the last lines the server printed */
    readonly log: string[] = [],
  ) {
    super(log.length ? `${message}\n--- nats-server output (last lines) ---\n${log.join('\n')}` : message);
  }
}

/** Connecting to NATS failed (unreachable, authentication, TLS). */
export class BusConnectError extends NatsBusError {
  override readonly name = 'BusConnectError';
  constructor(
    message: string,
    /** 'auth' when the server refused the credentials */
    readonly kind: 'auth' | 'unreachable' | 'tls' | 'other',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface StreamConfigDifference {
  field: string;
  expected: unknown;
  actual: unknown;
}

/** The stream exists with a configuration other than the one asked for; it was left untouched. */
export class StreamConfigMismatchError extends NatsBusError {
  override readonly name = 'StreamConfigMismatchError';
  constructor(
    readonly stream: string,
    readonly differences: StreamConfigDifference[],
  ) {
    super(
      `stream ${stream} exists with a different configuration (left unchanged): ` +
        differences.map((d) => `${d.field}: expected ${JSON.stringify(d.expected)}, found ${JSON.stringify(d.actual)}`).join('; '),
    );
  }
}

/** JetStream is not available (server started without -js, or the account has no JetStream). */
export class JetStreamUnavailableError extends NatsBusError {
  override readonly name = 'JetStreamUnavailableError';
}

/** Events that could not be confirmed stored after the bounded retries (reported by flush()/close()). */
export class PublishError extends NatsBusError {
  override readonly name = 'PublishError';
  constructor(
    message: string,
    /** how many events failed since the previous flush() */
    readonly failed: number,
    /** subject and message id of the first failed event */
    readonly first?: { subject: string; msgId: string },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A consumed message could not be decoded/validated as the event of its subject. */
export class ConsumeDecodeError extends NatsBusError {
  override readonly name = 'ConsumeDecodeError';
  constructor(
    message: string,
    readonly subject: string,
    readonly streamSeq: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A stored-message lookup (lastMessageOn) failed: no such stream, JetStream unavailable, a timeout, ... */
export class MessageLookupError extends NatsBusError {
  override readonly name = 'MessageLookupError';
  constructor(
    message: string,
    readonly stream: string,
    readonly subject: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
