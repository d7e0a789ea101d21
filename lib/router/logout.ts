import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { RouterContext } from './context';
import { OAuthError } from '../errors';
import { TokenError } from '../tokens/token-error';
import { unbind } from '../session-binding';
import { locals, noStore, params, readParams } from './params';
import { parseForm, parseJson } from './token-endpoint';
import { refuseCrossSite } from './same-site';
import { renderOAuthError } from './oauth-errors';

/**
 * `POST /anonymous/logout`: revokes the session named by `session_token`, or else the browser's cookie-bound one,
 * and clears the cookie binding. 204 also when there was nothing to revoke (logging out twice is not an error).
 */
export function logoutEndpoint(ctx: RouterContext): Array<RequestHandler | typeof renderOAuthError> {
  return [noStore, parseJson, parseForm, readLogoutParams, revokeSession(ctx), renderOAuthError];
}

function readLogoutParams(req: Request, res: Response, next: NextFunction): void {
  const empty = req.headers['transfer-encoding'] === undefined && Number(req.headers['content-length'] ?? 0) === 0;
  if (empty) {
    locals(res).params = {};
    return next();
  }
  readParams(req, res, next);
}

function revokeSession(ctx: RouterContext) {
  return async function revokeSession(req: Request, res: Response): Promise<void> {
    const token = params(res).session_token;
    if (token !== undefined) {
      let sessionId: string;
      try {
        sessionId = (await ctx.tokens.readSessionToken(token)).session_id;
      } catch (err) {
        if (err instanceof TokenError && err.reason === 'expired') return void res.status(204).end();
        if (err instanceof TokenError) throw new OAuthError('invalid_session_token', 'The session token is invalid');
        throw err;
      }
      await ctx.service.revoke(sessionId);
      if (req.anonymous?.sessionId === sessionId) unbind(req, ctx.options.sessionKey);
    } else if (req.anonymous?.persisted) {
      refuseCrossSite(req);
      await req.anonymous.revoke();
    }
    res.status(204).end();
  };
}
