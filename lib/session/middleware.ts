import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { HandleServices } from './anonymous-session';
import type { Logger } from '../config/logger';
import type { ActiveRecord } from './record';
import { GuestHandle } from './anonymous-session';
import { ChallengeRequiredError, MisconfiguredError, RateLimitedError } from '../errors';
import { logError, warnOnce } from '../config/logger';
import { PATHS } from '../config/endpoints';
import { lifetimeProblem } from './cookie-defaults';

const BEARER = /^bearer\s/i;
const ENDPOINTS = new Set<string>([PATHS.token, PATHS.logout, PATHS.revocation, PATHS.introspection]);

const MISSING_SESSION =
  'req.session is missing: mount express-session before anon.middleware(), e.g. ' +
  'app.use(session({ secret, resave: false, saveUninitialized: false })); app.use(anon.middleware())';

/**
 * Loads the guest bound to the request's express-session into `req.anonymous`; false when there is none (or it
 * ended, and the binding is cleared so the visitor starts over). Shared by the middleware and, when the router is
 * mounted before the middleware, by the router's endpoints.
 */
export async function loadBoundGuest(services: HandleServices, req: Request): Promise<boolean> {
  services.binding.remember(req);
  const sessionId = services.binding.boundId(req);
  return sessionId !== undefined && adoptBoundGuest(services, req, await services.sessions.load(sessionId));
}

/** `req.anonymous` for the bound guest's record; false, and the binding cleared, when the guest is gone. */
function adoptBoundGuest(services: HandleServices, req: Request, record: ActiveRecord | undefined): boolean {
  if (record) {
    req.anonymous = new GuestHandle(services, req, record, true);
    return true;
  }
  services.binding.unbind(req); // expired, revoked or transferred: this visitor starts over as a new guest
  return false;
}

/**
 * A login is in the session (passport's `session.passport.user`) but `req.user` is not set: passport.session() runs
 * after this middleware, which would mint a guest for every signed-in request. Said once; the request is treated
 * as signed in.
 */
function passportSessionNotYetRun(req: Request, logger: Logger): boolean {
  const login = (req.session as unknown as { passport?: { user?: unknown } }).passport?.user;
  if (login === undefined || req.user !== undefined) return false;
  warnOnce(logger, 'passport-order', 'a signed-in session reached anon.middleware() before passport.session() ran: mount app.use(passport.session()) before app.use(anon.middleware()), or signed-in users are seen as guests');
  return true;
}

/** Stores a new guest now; past the creation limit the page still renders, for a guest that is not stored. */
async function persistOrRender(anonymous: GuestHandle): Promise<void> {
  try {
    await anonymous.persist();
  } catch (err) {
    if (!(err instanceof RateLimitedError || err instanceof ChallengeRequiredError)) throw err;
  }
}

/**
 * Stores the provisional guest when the response turns out to be a page view: a `GET` answered `2xx` with HTML, for
 * a visitor that is not a crawler. Decided when the app ends the response (status and type known, headers not yet
 * sent, so the cookie can still go out); the response waits for the write. A streamed page (headers already sent)
 * stores nothing. A failure to store is logged and the page is served as it is: the visitor stays provisional.
 */
function persistOnPageView(req: Request, res: Response, anonymous: GuestHandle, services: HandleServices, logger: Logger): void {
  if (req.method !== 'GET' || services.sessions.options.isCrawler(req)) return;
  const end = res.end;
  res.end = function endAfterStoringTheGuest(this: Response, ...args: unknown[]) {
    res.end = end;
    const pageView = !res.headersSent && res.statusCode >= 200 && res.statusCode < 300 && /^text\/html\b/i.test(String(res.getHeader('content-type') ?? ''));
    if (!pageView || anonymous.persisted || anonymous.state !== 'active') return end.apply(this, args as Parameters<Response['end']>);
    anonymous.persist().then(
      () => end.apply(this, args as Parameters<Response['end']>),
      (err: unknown) => {
        if (!(err instanceof RateLimitedError || err instanceof ChallengeRequiredError)) logError(logger, 'a page view could not store its guest', err);
        end.apply(this, args as Parameters<Response['end']>);
      },
    );
    return this;
  } as Response['end'];
}

/**
 * Gives every request `req.anonymous`: the guest bound to its express-session cookie, or a provisional guest that
 * is stored as `persist` says (at once, on a page view, or on the first write).
 */
export function anonymousMiddleware(services: HandleServices, logger: Logger): RequestHandler {
  const { sessions, binding } = services;
  const { skip, persist, guestsForSignedInUsers } = sessions.options;

  let lifetimesChecked = false;
  /** Once, at the first request: the cookie and the session store must keep a guest as long as it lives. */
  const checkLifetimes = (req: Request) => {
    if (lifetimesChecked) return;
    lifetimesChecked = true;
    const problem = lifetimeProblem(req, sessions.options.lifetimes.idle);
    if (problem) warnOnce(logger, 'guest-lifetime', problem);
  };

  return async function anonymousSession(req: Request, res: Response, next: NextFunction): Promise<void> {
    try {
      if (!req.session) throw new MisconfiguredError(MISSING_SESSION);
      binding.remember(req); // seen: guards can tell "no guest here" from "the middleware never ran"
      if (skip?.(req)) return next();
      checkLifetimes(req);
      // A bearer request is identified by its token: no cookie guest is loaded or minted, so an API call does not
      // depend on the store (stateless checks keep working through a store outage).
      if (BEARER.test(req.headers.authorization ?? '')) return next();
      // The returning guest: loadBoundGuest's steps inline, one async frame less on the path most requests take.
      const sessionId = binding.boundId(req);
      if (sessionId !== undefined && adoptBoundGuest(services, req, await sessions.load(sessionId))) return next();

      // An API client calling the token endpoint gets its guest from the endpoint, not a cookie it will not keep (nor
      // does its browser's CORS preflight get one).
      if ((req.method === 'POST' || req.method === 'OPTIONS') && ENDPOINTS.has(req.path)) return next();

      if (binding.cookieWillBeDropped(req)) {
        warnOnce(
          logger,
          'secure-cookie',
          "express-session's cookie is `secure` but this request is plain HTTP, so the browser gets no cookie; " +
            "no guest is created. Behind a TLS proxy, set app.set('trust proxy', …).",
        );
        return next();
      }

      // A signed-in user shops in their account: no new guest for them (a guest bound before login was loaded above).
      if (!guestsForSignedInUsers && (req.isAuthenticated?.() || passportSessionNotYetRun(req, logger))) return next();

      const anonymous = new GuestHandle(services, req, sessions.draft(), false);
      sessions.metrics.guestCreated('cookie');
      req.anonymous = anonymous;
      if (persist === 'always') await persistOrRender(anonymous);
      else if (persist === 'page-view') persistOnPageView(req, res, anonymous, services, logger);
      next();
    } catch (err) {
      next(err);
    }
  };
}
