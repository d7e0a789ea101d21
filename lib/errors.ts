/**
 * Every error this library raises, and every code it can put on the wire. Each error carries a stable `code`, an
 * HTTP `status`, whether its message may be shown to the client (`expose`), and response `headers`, so the token
 * endpoint, the strategy and `anon.errorHandler()` render it the same way (`lib/http/render-error.ts`).
 */

/** Every code, with the HTTP status it maps to. The README's error table is this table. */
export const ERROR_STATUS = {
  // Construction
  configuration_error: 500,
  // Metadata
  metadata_invalid: 400,
  metadata_too_large: 400,
  metadata_too_deep: 400,
  metadata_too_many_keys: 400,
  metadata_forbidden_key: 400,
  invalid_idempotency_key: 400,
  // Sessions and the store
  session_not_active: 409,
  update_conflict: 409,
  temporarily_unavailable: 503,
  rate_limited: 429,
  challenge_required: 429,
  // OAuth 2.0 (RFC 6749 section 5.2, RFC 6750, RFC 7009) and the hosted platforms' codes
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  unsupported_token_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  invalid_session_token: 400,
  session_expired: 400,
  // RFC 6750, for bearer failures rendered as JSON (passport's failWithError)
  invalid_token: 401,
  insufficient_scope: 403,
  // Guards
  login_required: 401,
  real_user_required: 403,
  guest_required: 401,
  cross_site_request: 403,
  // Transfer
  transfer_conflict: 409,
  transfer_failed: 500,
  // Wiring mistakes found at the first request
  misconfigured: 500,
  server_error: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorOptions {
  status?: number;
  expose?: boolean;
  headers?: Record<string, string>;
  cause?: unknown;
}

/** Seconds a client is told to wait after an outage when the store does not say otherwise. */
export const DEFAULT_RETRY_AFTER = 5;

export class AnonymousSessionError extends Error {
  /** Stable machine-readable code; also the OAuth `error` value on the wire. */
  readonly code: ErrorCode;
  /** HTTP status this error maps to. */
  readonly status: number;
  /** `status` under the name Express's final handler reads (a plain field: http-errors assigns it). */
  readonly statusCode: number;
  /** Whether `message` is safe to send to the client. */
  readonly expose: boolean;
  /** Response headers that belong with this error (`Retry-After`, `WWW-Authenticate`, `Allow`). */
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? ERROR_STATUS[code];
    this.statusCode = this.status;
    this.expose = options.expose ?? this.status < 500;
    this.headers = options.headers ?? {};
  }
}

/** Options given to `anonymousSessions()` or a store are invalid. Thrown at construction, never per request. */
export class ConfigurationError extends AnonymousSessionError {
  /** Path of the offending option, e.g. `limits.metadataBytes`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super('configuration_error', `${option}: ${message}`, { expose: false });
    this.option = option;
  }
}

/** The app is wired wrongly (mount order, a missing session middleware): the first request says how to fix it. */
export class MisconfiguredError extends AnonymousSessionError {
  constructor(message: string) {
    super('misconfigured', `express-anonymous-session: ${message}`, { expose: false });
  }
}

export type MetadataErrorCode = 'metadata_invalid' | 'metadata_too_large' | 'metadata_too_deep' | 'metadata_too_many_keys' | 'metadata_forbidden_key' | 'invalid_idempotency_key';

/** Metadata breaks a limit or is not plain JSON. Nothing was written. */
export class MetadataError extends AnonymousSessionError {
  /** The option that sets the limit that was broken (e.g. `limits.metadataBytes`), if a limit was broken. */
  readonly limit: string | undefined;
  constructor(code: MetadataErrorCode, message: string, limit?: string) {
    super(code, message, { expose: true });
    this.limit = limit;
  }
}

/** The anonymous store could not be reached in time. Clients should retry; their credentials are still good. */
export class StoreUnavailableError extends AnonymousSessionError {
  constructor(message: string, retryAfterSeconds = DEFAULT_RETRY_AFTER, cause?: unknown) {
    super('temporarily_unavailable', message, { expose: true, headers: { 'Retry-After': String(retryAfterSeconds) }, cause });
  }
}

/** The anonymous session does not exist, expired, was revoked or transferred. */
export class SessionNotActiveError extends AnonymousSessionError {
  constructor(message = 'The anonymous session is no longer active') {
    super('session_not_active', message, { expose: true });
  }
}

/** Optimistic updates kept colliding with concurrent writers; nothing was written. */
export class UpdateConflictError extends AnonymousSessionError {
  constructor(attempts: number) {
    super('update_conflict', `Metadata update lost the race ${attempts} times; nothing was written`, { expose: true });
  }
}

/** Too many guests created from one address: 429 with `Retry-After`. */
export class RateLimitedError extends AnonymousSessionError {
  constructor(retryAfterSeconds: number) {
    super('rate_limited', 'Too many anonymous sessions created from this address; retry later', {
      expose: true,
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

/** Past the creation limit, the app's challenge hook (Turnstile, hCaptcha, proof of work) did not pass the request. */
export class ChallengeRequiredError extends AnonymousSessionError {
  constructor(retryAfterSeconds: number) {
    super('challenge_required', 'Too many anonymous sessions created from this address: complete the challenge and retry', {
      expose: true,
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_token_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'invalid_session_token'
  | 'session_expired'
  | 'invalid_token'
  | 'insufficient_scope';

/**
 * An OAuth 2.0 (RFC 6749 section 5.2) or RFC 6750 error, rendered as `{ error, error_description }` and any extra
 * `members` (RFC 6749 allows them: `anonymous_session_state` says why a grant is no longer valid). Descriptions and
 * members are constants or server state: they never echo request values.
 */
export class OAuthError extends AnonymousSessionError {
  /** Extra members of the error response, besides `error` and `error_description`. */
  readonly members: Readonly<Record<string, string>>;
  constructor(error: OAuthErrorCode, description: string, status?: number, headers: Record<string, string> = {}, members: Record<string, string> = {}) {
    super(error, description, { status, expose: true, headers });
    this.members = members;
  }
}

/** A transfer could not be completed as the route asked (`anon.transfer(reason, { onConflict, onError: 'fail' })`). */
export class TransferError extends AnonymousSessionError {
  constructor(code: 'transfer_conflict' | 'transfer_failed', message: string, cause?: unknown) {
    super(code, message, { expose: code === 'transfer_conflict', cause });
  }
}

/** A guard refused the request: `login_required`, `real_user_required`, `guest_required`. */
export class AccessDeniedError extends AnonymousSessionError {
  constructor(code: 'login_required' | 'real_user_required' | 'guest_required', message: string, headers?: Record<string, string>) {
    super(code, message, { expose: true, headers });
  }
}

/** Why `sameOriginOnly()` refused: what the browser said (`fetch-metadata`, `origin`) or a missing/wrong `token`. */
export type CrossSiteReason = 'fetch-metadata' | 'origin' | 'token';

/** A state-changing request that did not come from the app's own origin: 403 `cross_site_request`. */
export class CrossSiteRequestError extends AnonymousSessionError {
  readonly reason: CrossSiteReason;
  constructor(reason: CrossSiteReason) {
    const message =
      reason === 'token'
        ? 'The form token is missing or out of date: reload the page and try again (a script sends an Origin header or a JSON body)'
        : 'Cross-origin request refused: this action can only be taken from the site itself';
    super('cross_site_request', message, { expose: true });
    this.reason = reason;
  }
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
