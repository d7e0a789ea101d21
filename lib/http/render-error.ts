import type { ErrorRequestHandler, Response } from 'express';
import { REPEATED_KEY } from './body';
import { AnonymousSessionError, MisconfiguredError, OAuthError, StoreUnavailableError, isStoreOutage, type ErrorCode, type OAuthErrorCode } from '../errors';
import { logError, warnOnce, type Logger } from '../config/logger';

/**
 * Where an error is rendered: an OAuth endpoint speaks only RFC 6749 codes, so some library codes are renamed there;
 * the app's routes (`anon.errorHandler()`) see every code as is.
 */
export type Surface = 'oauth' | 'app';

/** Library codes an OAuth client would not understand, and the RFC 6749 code each becomes at the endpoints. */
const OAUTH_CODES: Partial<Record<ErrorCode, OAuthErrorCode>> = {
  metadata_invalid: 'invalid_request',
  metadata_too_large: 'invalid_request',
  metadata_too_deep: 'invalid_request',
  metadata_too_many_keys: 'invalid_request',
  metadata_forbidden_key: 'invalid_request',
  invalid_idempotency_key: 'invalid_request',
  session_not_active: 'invalid_grant',
};

/** The error to render for `err` on `surface`, or undefined when it is not ours to render (the app's own errors). */
export function toWireError(err: unknown, surface: Surface, retryAfter: number): AnonymousSessionError | undefined {
  if (err instanceof AnonymousSessionError) {
    const renamed = surface === 'oauth' ? OAUTH_CODES[err.code] : undefined;
    return renamed ? new OAuthError(renamed, err.message, undefined, err.headers) : err;
  }
  if (isStoreOutage(err)) return new StoreUnavailableError('The session store is unavailable', retryAfter, err);
  const bearerFailure = passportFailure(err);
  if (surface === 'app' && bearerFailure) return bearerFailure;
  const parser = err as { type?: unknown; status?: unknown } | null;
  if (surface === 'oauth' && typeof parser?.type === 'string' && typeof parser.status === 'number' && parser.status < 500) {
    // body-parser at an endpoint: too large, malformed JSON, a repeated key, bad charset
    const description =
      parser.status === 413 ? 'The request body is too large' : parser.type === REPEATED_KEY ? 'A parameter is repeated' : 'The request body could not be parsed';
    return new OAuthError('invalid_request', description, parser.status);
  }
  return undefined;
}

/**
 * passport's `failWithError: true` hands the failure to `next` as an `AuthenticationError` (the RFC 6750 challenge is
 * already in `WWW-Authenticate`): rendered as JSON with the matching RFC 6750 code, not passport's plain text.
 */
function passportFailure(err: unknown): AnonymousSessionError | undefined {
  const e = err as { name?: unknown; status?: unknown } | null;
  if (e?.name !== 'AuthenticationError' || typeof e.status !== 'number') return undefined;
  if (e.status === 400) return new OAuthError('invalid_request', 'The request is malformed', 400);
  if (e.status === 403) return new OAuthError('insufficient_scope', 'The access token lacks a required scope', 403);
  if (e.status === 401) return new OAuthError('invalid_token', 'The access token is missing, invalid or expired', 401);
  return undefined;
}

/**
 * The JSON body of an error: OAuth's `{ error, error_description }` and an OAuth error's extra members (after them,
 * never in their place), internals hidden unless the error may be shown, and the description kept to the characters
 * RFC 6749 section 5.2 allows.
 */
export function errorBody(err: AnonymousSessionError): { error: string; error_description: string } & Record<string, string> {
  if (!err.expose) return { error: 'server_error', error_description: 'Internal error' };
  const body = { error: err.code, error_description: err.message.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '') };
  // `error` and `error_description` first, and never overwritten by a member.
  return err instanceof OAuthError ? Object.assign({ ...body }, err.members, body) : body;
}

export function sendError(res: Response, err: AnonymousSessionError): void {
  res.status(err.status).set(err.headers).set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json(errorBody(err));
}

export interface RenderOptions {
  retryAfter: number;
  logger: Logger;
}

/**
 * The one renderer: the endpoints' last step and `anon.errorHandler()`. Errors that are not ours go on to `next`.
 * What the client is not shown (a 5xx) is logged: a wiring mistake once, with its fix; anything else every time.
 */
export function renderErrors(surface: Surface, { retryAfter, logger }: RenderOptions): ErrorRequestHandler {
  return function renderAnonymousSessionError(err: unknown, _req, res, next) {
    if (res.headersSent) return next(err);
    const error = toWireError(err, surface, retryAfter);
    if (!error) return next(err);
    if (error instanceof MisconfiguredError) warnOnce(logger, error.message, error.message.replace(/^express-anonymous-session: /, ''));
    else if (error instanceof StoreUnavailableError) {
      // Shown to the client as a plain 503; the operator needs the cause (an unconnected client, a timeout), once each.
      const why = error.cause instanceof Error ? error.cause.message : error.message;
      warnOnce(logger, `store-unavailable: ${why}`, `answering 503 temporarily_unavailable: ${why} (said once per cause)`);
    } else if (!error.expose) logError(logger, `${error.code}: ${error.message}`, error.cause ?? error);
    sendError(res, error);
  };
}
