import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { RouterContext } from './context';
import { noStore, readBodyParams } from '../http/params';
import { hasNoBody, parseForm, parseJson } from '../http/body';
import { refuseCrossSite } from '../http/same-site';
import { renderErrors } from '../http/render-error';
import { sessionTokenError } from './grants/renew';
import { stateOf, required } from './state';
import { step } from '../http/async';
import { cookieGuest } from './cookie-guest';

/**
 * `POST /anonymous/logout`: revokes the session named by `session_token`, or else the browser's cookie-bound one,
 * and clears the cookie binding. 204 also when there was nothing to revoke (logging out twice is not an error).
 */
export function logoutEndpoint(ctx: RouterContext): Array<RequestHandler | ErrorRequestHandler> {
  return [noStore, cookieGuest(ctx.handles), parseJson, parseForm, readLogoutParams, revokeSession(ctx), renderErrors('oauth', ctx)];
}

function readLogoutParams(req: Request, _res: Response, next: NextFunction): void {
  stateOf(req).params = hasNoBody(req) ? {} : readBodyParams(req, ['session_token']);
  next();
}

function revokeSession(ctx: RouterContext) {
  return step(async function revokeSession(req: Request, res: Response): Promise<void> {
    const token = required(req, 'params').session_token;
    if (token !== undefined) {
      const check = await ctx.tokens.checkSessionToken(token);
      if (!check.ok) {
        if (check.reason === 'expired') return void res.status(204).end();
        throw sessionTokenError(check.reason);
      }
      const sessionId = check.claims.session_id;
      await ctx.sessions.revoke(sessionId);
      if (req.anonymous?.sessionId === sessionId) ctx.binding.unbind(req);
    } else if (req.anonymous?.persisted) {
      refuseCrossSite(req);
      await req.anonymous.revoke();
    }
    res.status(204).end();
  });
}
