/**
 * Every error this library raises. Each carries a stable `code`, an HTTP `status`, whether its message
 * may be shown to the client (`expose`), and response `headers`, so the token endpoint, the strategy and
 * an app's error handler render it the same way (see `renderError`).
 */

export interface ErrorOptions {
  status?: number;
  expose?: boolean;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class AnonymousSessionError extends Error {
  /** Stable machine-readable code; also the OAuth `error` value on the wire. */
  readonly code: string;
  /** HTTP status this error maps to. */
  readonly status: number;
  /** `status` under the name Express's final handler reads. */
  get statusCode(): number {
    return this.status;
  }
  /** Whether `message` is safe to send to the client. */
  readonly expose: boolean;
  /** Response headers that belong with this error (`Retry-After`, `WWW-Authenticate`). */
  readonly headers: Record<string, string>;

  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.expose = options.expose ?? this.status < 500;
    this.headers = options.headers ?? {};
  }
}

/** Options given to `anonymousSessions()` or a store are invalid. Thrown at construction, never per request. */
export class ConfigurationError extends AnonymousSessionError {
  /** Path of the offending option, e.g. `limits.metadataBytes`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super('configuration_error', `${option}: ${message}`, { status: 500, expose: false });
    this.option = option;
  }
}

/** Metadata breaks a limit or is not plain JSON. Nothing was written. */
export class MetadataError extends AnonymousSessionError {
  /** The option that sets the limit that was broken (e.g. `limits.metadataBytes`), if a limit was broken. */
  readonly limit: string | undefined;
  constructor(code: string, message: string, limit?: string) {
    super(code, message, { status: 400, expose: true });
    this.limit = limit;
  }
}

/** The anonymous store could not be reached in time. Clients should retry; their credentials are still good. */
export class StoreUnavailableError extends AnonymousSessionError {
  constructor(message: string, retryAfterSeconds: number, cause?: unknown) {
    super('temporarily_unavailable', message, {
      status: 503,
      expose: true,
      headers: { 'Retry-After': String(retryAfterSeconds) },
      cause,
    });
  }
}

/** The anonymous session does not exist, expired, was revoked or transferred. */
export class SessionNotActiveError extends AnonymousSessionError {
  constructor(message = 'The anonymous session is no longer active') {
    super('session_not_active', message, { status: 409, expose: true });
  }
}

/** Optimistic updates kept colliding with concurrent writers; nothing was written. */
export class UpdateConflictError extends AnonymousSessionError {
  constructor(attempts: number) {
    super('update_conflict', `Metadata update lost the race ${attempts} times; nothing was written`, {
      status: 409,
      expose: true,
    });
  }
}

/** An OAuth 2.0 (RFC 6749 section 5.2) or RFC 6750 error, rendered as `{ error, error_description }`. */
export class OAuthError extends AnonymousSessionError {
  constructor(error: string, description: string, status = 400, headers: Record<string, string> = {}) {
    super(error, description, { status, expose: true, headers });
  }
}

/** The JSON body for an error: OAuth's shape, with internals hidden unless the error says they may be shown. */
export function errorBody(err: AnonymousSessionError): { error: string; error_description: string } {
  return {
    error: err.expose ? err.code : 'server_error',
    error_description: err.expose ? err.message : 'Internal error',
  };
}

const OUTAGE_ERRORS = new Set([
  'ClientClosedError',
  'ClientOfflineError',
  'ConnectionTimeoutError',
  'SocketClosedUnexpectedlyError',
  'SocketTimeoutError',
  'ReconnectStrategyError',
]);
const OUTAGE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN']);

/**
 * Whether `err` says a backing store could not be reached (node-redis's connection errors, socket errors),
 * as opposed to a bug. Used to turn an express-session store outage into the same 503 as our own.
 */
export function isStoreOutage(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return OUTAGE_ERRORS.has(err.constructor.name) || (typeof code === 'string' && OUTAGE_CODES.has(code));
}
