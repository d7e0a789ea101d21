/**
 * The `error` codes the token and logout endpoints answer with (RFC 6749 section 5.2 and this library's own).
 *
 * @example
 * ```ts
 * const retryable: OAuthErrorCode[] = ['rate_limited', 'temporarily_unavailable'];
 * ```
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'invalid_scope'
  | 'invalid_target'
  | 'invalid_session_token'
  | 'session_expired'
  | 'rate_limited'
  | 'temporarily_unavailable';

/**
 * Codes the client itself gives: no response at all (after its retries), or a response it cannot use.
 *
 * @example
 * ```ts
 * if (err instanceof AnonymousClientError && err.error === ('network_error' satisfies ClientErrorCode)) showOffline();
 * ```
 */
export type ClientErrorCode = 'network_error' | 'invalid_response';

/**
 * Every failure of the client: the server's OAuth error (`error`, `error_description`, `status`), or a network
 * failure (`network_error`, no `status`) or an unusable answer (`invalid_response`).
 *
 * @example
 * ```ts
 * try {
 *   await client.getAccessToken();
 * } catch (err) {
 *   if (err instanceof AnonymousClientError && err.error === 'rate_limited') showRetryLater(err.retryAfter);
 *   else throw err;
 * }
 * ```
 */
export class AnonymousClientError extends Error {
  /** The OAuth `error` code, or `network_error` / `invalid_response`. */
  declare readonly error: OAuthErrorCode | ClientErrorCode | (string & Record<never, never>);
  /** The server's `error_description`, when it sent one. */
  declare readonly error_description?: string;
  /** The HTTP status; undefined for `network_error`. */
  declare readonly status?: number;
  /** Seconds the server asked to wait (`Retry-After` of a 429 or 503 the client did not wait for). */
  declare readonly retryAfter?: number;
  /** With `invalid_grant`: how the guest's session ended (`revoked` or `transferred`); older servers say it only in `error_description`. */
  declare readonly anonymous_session_state?: 'revoked' | 'transferred' | (string & Record<never, never>);

  constructor(error: string, description?: string, status?: number, retryAfter?: number, cause?: unknown, sessionState?: string) {
    super(description ? `${error}: ${description}` : error, { cause });
    this.name = 'AnonymousClientError';
    this.error = error;
    this.error_description = description;
    this.status = status;
    this.retryAfter = retryAfter;
    this.anonymous_session_state = sessionState;
  }
}
