import type { NextFunction, Request, Response } from 'express';
import type { HandleServices } from '../session/anonymous-session';
import { MisconfiguredError } from '../errors';
import { loadBoundGuest } from '../session/middleware';
import { step } from '../http/async';

const ROUTER_BEFORE_SESSION =
  'anon.router() runs before express-session, so a browser\'s cookie-bound guest is invisible to it (logout would do ' +
  'nothing, the token endpoint would mint a second guest). Mount it after the session: app.use(session(...)); ' +
  'app.use(anon.middleware()); app.use(anon.router())';

/**
 * The endpoints' view of the browser's guest, whatever the mount order: after `anon.middleware()` it is already in
 * `req.anonymous`; mounted before it, the endpoint loads the bound guest itself. Mounted before express-session
 * (which the app does use) is the one order that cannot work, and the first request says how to fix it.
 */
export function cookieGuest(services: HandleServices) {
  return step(async function cookieGuest(req: Request, _res: Response, next: NextFunction): Promise<void> {
    if (!req.session) {
      if (appUsesExpressSession(req)) throw new MisconfiguredError(ROUTER_BEFORE_SESSION);
      return next(); // an API-only app: no cookies, nothing to load
    }
    if (!services.binding.visited(req)) await loadBoundGuest(services, req);
    next();
  });
}

interface Layer {
  name?: string;
}

/** Per app: an API-only app asks on every request, and its middleware stack is set up before it serves. */
const usesSession = new WeakMap<object, boolean>();

/** Whether express-session is mounted on the app (Express 4 keeps the stack at `app._router`, Express 5 at `app.router`). */
function appUsesExpressSession(req: Request): boolean {
  const app = req.app as unknown as { _router?: { stack?: Layer[] }; router?: { stack?: Layer[] } };
  let uses = usesSession.get(app);
  if (uses === undefined) {
    const stack = app._router?.stack ?? app.router?.stack ?? [];
    usesSession.set(app, (uses = stack.some((layer) => layer.name === 'session')));
  }
  return uses;
}
