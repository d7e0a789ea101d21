import type { NextFunction, Request, Response } from 'express';
import { AnonymousSessionError, MetadataError, OAuthError, SessionNotActiveError, StoreUnavailableError, errorBody, isStoreOutage } from '../errors';

/**
 * The endpoint's last step: every failure as an RFC 6749 error body with its status and headers, never cached.
 * Mounted per route, so it never sees the rest of the app's errors. Unknown errors go on to the app's handler.
 */
export function renderOAuthError(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(err);
  const error = toOAuthError(err);
  if (!error) return next(err);
  res.status(error.status).set(error.headers).set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json(errorBody(error));
}

function toOAuthError(err: unknown): AnonymousSessionError | undefined {
  if (err instanceof MetadataError) return new OAuthError('invalid_request', err.message);
  if (err instanceof SessionNotActiveError) return new OAuthError('invalid_grant', 'The anonymous session is no longer active');
  if (err instanceof AnonymousSessionError) return err;
  if (isStoreOutage(err)) return new StoreUnavailableError('The session store is unavailable', 5, err);
  const parser = err as { type?: unknown; status?: unknown };
  if (typeof parser?.type === 'string' && typeof parser.status === 'number' && parser.status < 500) {
    // body-parser: too large, malformed JSON, bad charset
    const description = parser.status === 413 ? 'The request body is too large' : 'The request body could not be parsed';
    return new OAuthError('invalid_request', description, parser.status);
  }
  return undefined;
}
