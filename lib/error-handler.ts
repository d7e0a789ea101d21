import type { ErrorRequestHandler } from 'express';
import { AnonymousSessionError, StoreUnavailableError, errorBody, isStoreOutage } from './errors';

/**
 * Renders this library's errors as `{ error, error_description }` with their status and headers
 * (`Retry-After` on a 503), and an outage of express-session's own Redis store as the same 503;
 * passes every other error on to the app's own handler.
 */
export function errorHandler(retryAfter = 5): ErrorRequestHandler {
  return function renderAnonymousSessionError(err: unknown, _req, res, next) {
    if (res.headersSent) return next(err);
    if (!(err instanceof AnonymousSessionError) && isStoreOutage(err)) {
      err = new StoreUnavailableError('The session store is unavailable', retryAfter, err);
    }
    if (!(err instanceof AnonymousSessionError)) return next(err);
    res.status(err.status).set(err.headers).set('Cache-Control', 'no-store').json(errorBody(err));
  };
}
