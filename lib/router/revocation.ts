import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { RouterContext } from './context';
import { OAuthError } from '../errors';
import { noStore, readBodyParams } from '../http/params';
import { parseForm, parseJson } from '../http/body';
import { renderErrors } from '../http/render-error';
import { authenticateClient } from './client-auth';
import { required, stateOf } from './state';
import { step } from '../http/async';
import { cookieGuest } from './cookie-guest';

/** Parameters of RFC 7009 revocation and RFC 7662 introspection requests. */
export const TOKEN_QUERY_PARAMS = ['client_id', 'client_secret', 'token', 'token_type_hint'] as const;

export function readTokenQuery(req: Request, _res: Response, next: NextFunction): void {
  const params = readBodyParams(req, TOKEN_QUERY_PARAMS);
  if (params.token === undefined) throw new OAuthError('invalid_request', 'The parameter token is required');
  stateOf(req).params = params;
  next();
}

/**
 * `POST /anonymous/revoke` (RFC 7009): `token` (a session token or an access token, `token_type_hint` optional)
 * ends the session it names, so every token of that session stops where revocation is checked. Client
 * authentication as at the token endpoint; a token of another client is refused; an unknown, expired or foreign
 * token answers 200 (the client's goal, an unusable token, holds).
 */
export function revocationEndpoint(ctx: RouterContext): Array<RequestHandler | ErrorRequestHandler> {
  return [noStore, cookieGuest(ctx.handles), parseJson, parseForm, readTokenQuery, authenticateClient(ctx.tokens.options), revokeToken(ctx), renderErrors('oauth', ctx)];
}

function revokeToken(ctx: RouterContext) {
  return step(async function revokeToken(req: Request, res: Response): Promise<void> {
    const { token, token_type_hint: hint } = required(req, 'params');
    const presented = await ctx.tokens.identify(token!, hint);
    if (presented !== undefined) {
      const { claims } = presented;
      if (claims.client_id !== required(req, 'client').id) throw new OAuthError('invalid_request', 'The token was not issued to this client');
      const sessionId = presented.kind === 'session' ? presented.claims.session_id : presented.claims.sid;
      await ctx.sessions.revoke(sessionId);
      if (req.anonymous?.sessionId === sessionId) ctx.binding.unbind(req);
    }
    res.status(200).end();
  });
}
