import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { RouterContext } from './context';
import { OAuthError } from '../errors';
import { isActive } from '../session/record';
import { noStore } from '../http/params';
import { parseForm, parseJson } from '../http/body';
import { renderErrors } from '../http/render-error';
import { authenticateClient } from './client-auth';
import { readTokenQuery } from './revocation';
import { required } from './state';
import { step } from '../http/async';

/**
 * `POST /anonymous/introspect` (RFC 7662), for resource servers that cannot verify JWTs themselves or must see a
 * revocation at once. Confidential clients only. An access token of this issuer whose session is still active, and
 * that was issued to the asking client or for one of its audiences, is described; anything else is
 * `{ "active": false }`, never why.
 */
export function introspectionEndpoint(ctx: RouterContext): Array<RequestHandler | ErrorRequestHandler> {
  return [noStore, parseJson, parseForm, readTokenQuery, authenticateClient(ctx.tokens.options), requireConfidentialClient, introspect(ctx), renderErrors('oauth', ctx)];
}

function requireConfidentialClient(req: Request, _res: Response, next: NextFunction): void {
  if (required(req, 'client').secret === undefined) throw new OAuthError('invalid_client', 'Introspection needs an authenticated client', 401);
  next();
}

function introspect(ctx: RouterContext) {
  return step(async function introspect(req: Request, res: Response): Promise<void> {
    const { token, token_type_hint: hint } = required(req, 'params');
    const client = required(req, 'client');
    const presented = await ctx.tokens.identify(token!, hint ?? 'access_token');
    if (presented?.kind !== 'access') return void res.json({ active: false });
    const claims = presented.claims;
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const mayAsk = claims.client_id === client.id || audiences.some((a) => client.audiences.includes(a));
    const record = mayAsk ? await ctx.sessions.store.get(claims.sid) : undefined;
    if (!isActive(record, ctx.sessions.now()) || record.userId !== claims.sub) return void res.json({ active: false });
    res.json({
      active: true,
      token_type: 'Bearer',
      iss: claims.iss,
      sub: claims.sub,
      aud: claims.aud,
      client_id: claims.client_id,
      scope: claims.scope,
      exp: claims.exp,
      iat: claims.iat,
      sid: claims.sid,
      anonymous: true,
    });
  });
}
