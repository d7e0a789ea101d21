import type { NextFunction, Request, RequestHandler, Response, ErrorRequestHandler } from 'express';
import type { RouterContext } from './context';
import { OAuthError } from '../errors';
import { grantFor } from '../tokens/grant';
import { noStore, readBodyParams } from '../http/params';
import { parseForm, parseJson } from '../http/body';
import { renderErrors, toWireError } from '../http/render-error';
import { authenticateClient } from './client-auth';
import { TOKEN_PARAMS, required, stateOf } from './state';
import { createGuest } from './grants/create';
import { renewGuest } from './grants/renew';
import { browserGuest } from './grants/browser';
import { REFRESH_GRANT, selectGrant } from './grants/grant-type';
import { step } from '../http/async';
import { cookieGuest } from './cookie-guest';
import { isSameOriginBrowser } from '../http/same-site';
import { GuestHandle } from '../session/anonymous-session';

/**
 * `POST /anonymous/token`, step by step. The mode follows from `grant_type`, or without one from the body:
 * `session_token` renews; a browser whose cookie already holds a guest gets tokens for that guest; anything else
 * creates a new guest.
 */
export function tokenEndpoint(ctx: RouterContext): Array<RequestHandler | ErrorRequestHandler> {
  return [
    noStore,
    cookieGuest(ctx.handles),
    parseJson,
    parseForm,
    readTokenParams,
    selectGrant,
    authenticateClient(ctx.tokens.options),
    grantScopeAndAudience,
    findOrCreateSession(ctx),
    respond(ctx),
    countRefusal(ctx),
    renderErrors('oauth', ctx),
  ];
}

function readTokenParams(req: Request, _res: Response, next: NextFunction): void {
  stateOf(req).params = readBodyParams(req, TOKEN_PARAMS);
  next();
}

/** Scope and audience are checked before anything is created: a refused request writes nothing. */
function grantScopeAndAudience(req: Request, _res: Response, next: NextFunction): void {
  const p = required(req, 'params');
  stateOf(req).grant = grantFor(required(req, 'client'), p.scope, p.audience);
  next();
}

function findOrCreateSession(ctx: RouterContext) {
  return step(async function findOrCreateSession(req: Request, _res: Response, next: NextFunction): Promise<void> {
    const p = required(req, 'params');
    const state = stateOf(req);
    // Checked before the guest is looked at: a bad request changes nothing (a renewal would rotate, a reuse revoke).
    if (p.requested_token_type !== undefined && p.requested_token_type !== 'transfer_ticket') throw new OAuthError('invalid_request', 'requested_token_type must be transfer_ticket');
    state.flow = required(req, 'mode') === 'renew' ? 'renew' : req.anonymous?.persisted ? 'browser' : 'create';
    if (state.flow === 'renew') state.record = await renewGuest(ctx, req);
    else if (state.flow === 'browser') state.record = await browserGuest(req);
    else if (p.requested_token_type !== undefined) throw new OAuthError('invalid_request', 'A transfer ticket needs an existing guest: send session_token');
    else {
      state.record = await createGuest(ctx, req);
      // The app's own page asking for its visitor's tokens: the new guest is this browser's guest from now on, so the
      // next call (and the next page) finds it instead of minting another.
      if (req.session && isSameOriginBrowser(req)) {
        await ctx.binding.bind(req, state.record.sessionId);
        req.anonymous = new GuestHandle(ctx.handles, req, state.record, true);
      }
    }
    next();
  });
}

/** Tokens for the guest, or a single-use transfer ticket when `requested_token_type=transfer_ticket`. */
function respond(ctx: RouterContext) {
  return step(async function respond(req: Request, res: Response): Promise<void> {
    const record = required(req, 'record');
    // requested_token_type was checked before the guest was looked at (findOrCreateSession).
    if (required(req, 'params').requested_token_type !== undefined) {
      // For logins through a redirect: at most 30 s, single use, names this guest without exposing a credential.
      const { ticket, expiresIn } = await ctx.transfers.mintTicket(record.sessionId);
      ctx.metrics.tokensIssued('transfer_ticket');
      return void res.status(200).json({ transfer_ticket: ticket, expires_in: expiresIn, token_type: 'N_A' });
    }
    const { scope, audience } = required(req, 'grant');
    const issue = { client: required(req, 'client'), scope, audience };
    const flow = required(req, 'flow');
    if (flow === 'browser') {
      // The cookie is this guest's credential: script gets only the short-lived access token, so an XSS bug on the
      // page cannot take away a session token that acts as the guest for weeks (and that no rotation would catch,
      // since the browser itself never presents one). None is minted.
      const accessOnly = await ctx.tokens.issueAccess(record, issue);
      ctx.metrics.tokensIssued(flow);
      return void res.status(200).json(accessOnly);
    }
    const body = await ctx.tokens.issue(record, issue);
    ctx.metrics.tokensIssued(flow);
    // A refresh_token client keeps whatever `refresh_token` comes back: the renewed session token.
    const refreshed = required(req, 'params').grant_type === REFRESH_GRANT ? { refresh_token: body.session_token } : {};
    res.status(200).json({ ...body, ...refreshed });
  });
}

/** Counts the refusal by the code the client will see (`anonymous_session.tokens.refused`), then lets it render. */
function countRefusal(ctx: RouterContext): ErrorRequestHandler {
  return function countRefusal(err: unknown, _req: Request, res: Response, next: NextFunction): void {
    if (!res.headersSent) {
      const wire = toWireError(err, 'oauth', ctx.retryAfter);
      ctx.metrics.tokenRefused(wire?.expose ? wire.code : 'server_error');
    }
    next(err);
  };
}
