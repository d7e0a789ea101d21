import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { HandleServices } from './anonymous-session';
import type { Logger } from '../config/logger';
import { GuestHandle } from './anonymous-session';
import { MisconfiguredError, RateLimitedError } from '../errors';
import { warnOnce } from '../config/logger';
import { PATHS } from '../config/endpoints';

const BEARER = /^bearer\s/i;
const ENDPOINTS = new Set<string>([PATHS.token, PATHS.logout]);

const MISSING_SESSION =
  'req.session is missing: mount express-session before anon.middleware(), e.g. ' +
  'app.use(session({ secret, resave: false, saveUninitialized: false })); app.use(anon.middleware())';

/**
 * Gives every request `req.anonymous`: the guest bound to its express-session cookie, or a new guest
 * (stored at once, or on first write in lazy mode).
 */
export function anonymousMiddleware(services: HandleServices, logger: Logger): RequestHandler {
  const { sessions, binding } = services;
  const { skip, lazy } = sessions.options;

  return async function anonymousSession(req: Request, _res: Response, next: NextFunction): Promise<void> {
    try {
      if (!req.session) throw new MisconfiguredError(MISSING_SESSION);
      if (skip?.(req)) return next();
      // A bearer request is identified by its token: no cookie guest is loaded or minted, so an API call does not
      // depend on the store (stateless checks keep working through a store outage).
      if (BEARER.test(req.headers.authorization ?? '')) return next();
      binding.remember(req);

      const sessionId = binding.boundId(req);
      if (sessionId !== undefined) {
        const record = await sessions.load(sessionId);
        if (record) {
          req.anonymous = new GuestHandle(services, req, record, true);
          return next();
        }
        binding.unbind(req); // expired, revoked or transferred: this visitor starts over as a new guest
      }

      // An API client calling the token endpoint gets its guest from the endpoint, not a cookie it will not keep.
      if (req.method === 'POST' && ENDPOINTS.has(req.path)) return next();

      if (binding.cookieWillBeDropped(req)) {
        warnOnce(
          logger,
          'secure-cookie',
          "express-session's cookie is `secure` but this request is plain HTTP, so the browser gets no cookie; " +
            "no guest is created. Behind a TLS proxy, set app.set('trust proxy', …).",
        );
        return next();
      }

      const anonymous = new GuestHandle(services, req, sessions.draft(), false);
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
