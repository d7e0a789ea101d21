import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { SessionService } from './session-service';
import { AnonymousSession } from './anonymous-session';
import { boundSessionId, cookieWillBeDropped, unbind } from './session-binding';
import { AnonymousSessionError } from './errors';
import { warnOnce } from './warn';
import { RateLimitedError } from './rate-limit';
import { rememberSessionId } from './transfer/session-renewal';

const BEARER = /^bearer\s/i;
const ENDPOINTS = new Set(['/anonymous/token', '/anonymous/logout']);

const MISSING_SESSION =
  'req.session is missing: mount express-session before anon.middleware(), e.g. ' +
  "app.use(session({ secret, resave: false, saveUninitialized: false })); app.use(anon.middleware())";

/**
 * Gives every request `req.anonymous`: the guest bound to its express-session cookie, or a new guest
 * (stored at once, or on first write in lazy mode).
 */
export function anonymousMiddleware(service: SessionService): RequestHandler {
  const { sessionKey, skip, lazy, logger } = service.options;

  return async function anonymousSession(req: Request, _res: Response, next: NextFunction): Promise<void> {
    try {
      if (!req.session) throw new AnonymousSessionError('session_missing', MISSING_SESSION, { status: 500 });
      if (skip?.(req)) return next();
      // A bearer request is identified by its token: no cookie guest is loaded or minted, so an API call does not
      // depend on the store (stateless checks keep working through a store outage).
      if (BEARER.test(req.headers.authorization ?? '')) return next();
      rememberSessionId(req);

      const sessionId = boundSessionId(req, sessionKey);
      if (sessionId !== undefined) {
        const record = await service.load(sessionId);
        if (record) {
          req.anonymous = new AnonymousSession(service, req, record, true);
          return next();
        }
        unbind(req, sessionKey); // expired, revoked or transferred: this visitor starts over as a new guest
      }

      // An API client calling the token endpoint gets its guest from the endpoint, not a cookie it will not keep.
      if (req.method === 'POST' && ENDPOINTS.has(req.path)) return next();

      if (cookieWillBeDropped(req)) {
        warnOnce(
          logger,
          'secure-cookie',
          "express-session's cookie is `secure` but this request is plain HTTP, so the browser gets no cookie; " +
            "no guest is created. Behind a TLS proxy, set app.set('trust proxy', …).",
        );
        return next();
      }

      const anonymous = new AnonymousSession(service, req, service.draft(), false);
      req.anonymous = anonymous;
      if (!lazy) {
        try {
          await anonymous.persist();
        } catch (err) {
          // Past the creation limit a page still renders, for a guest that is not stored (as in lazy mode).
          if (!(err instanceof RateLimitedError)) throw err;
        }
      }
      next();
    } catch (err) {
      next(err);
    }
  };
}
