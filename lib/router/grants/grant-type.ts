import type { NextFunction, Request, Response } from 'express';
import { OAuthError } from '../../errors';
import { required, stateOf } from '../state';

/** The grant of a guest that is created, or bound to the browser's cookie: the body's hosted shape, named. */
export const ANONYMOUS_GRANT = 'urn:express-anonymous-session:anonymous';
/** Renewal with the session token, for OAuth clients that can only refresh. */
export const REFRESH_GRANT = 'refresh_token';
/** Exactly what the endpoint accepts: RFC 8414 metadata publishes this list. */
export const GRANT_TYPES = [ANONYMOUS_GRANT, REFRESH_GRANT] as const;

/**
 * Picks the endpoint's mode. Without `grant_type` the body's shape decides (the hosted platforms' wire shape):
 * `session_token` renews, anything else creates or uses the browser's guest. A `grant_type` the server does not
 * support is refused (RFC 6749 section 5.2), never read as "create": a client that thinks it refreshes must not
 * silently get a new, empty guest.
 */
export function selectGrant(req: Request, _res: Response, next: NextFunction): void {
  const p = required(req, 'params');
  const state = stateOf(req);
  switch (p.grant_type) {
    case undefined:
      if (p.refresh_token !== undefined) throw new OAuthError('invalid_request', 'refresh_token needs grant_type=refresh_token');
      // RFC 6749 section 3.1 reads an empty parameter as omitted, which here would mean "create": a client whose stored
      // session token went missing would silently become a new, empty guest. Said instead.
      if (p.session_token === undefined && (req.body as Record<string, unknown> | undefined)?.session_token === '') {
        throw new OAuthError('invalid_request', 'The session_token is empty: send the session token to renew, or leave it out to create a guest');
      }
      state.mode = p.session_token === undefined ? 'create_or_browser' : 'renew';
      state.sessionToken = p.session_token;
      break;
    case ANONYMOUS_GRANT:
      if (p.session_token !== undefined || p.refresh_token !== undefined) {
        throw new OAuthError('invalid_request', 'The anonymous grant takes no session token: use grant_type=refresh_token to renew');
      }
      state.mode = 'create_or_browser';
      break;
    case REFRESH_GRANT:
      if (p.refresh_token === undefined) throw new OAuthError('invalid_request', 'The parameter refresh_token is required');
      if (p.session_token !== undefined && p.session_token !== p.refresh_token) {
        throw new OAuthError('invalid_request', 'Send the session token once, as refresh_token');
      }
      state.mode = 'renew';
      state.sessionToken = p.refresh_token;
      break;
    default:
      throw new OAuthError('unsupported_grant_type', 'The grant type is not supported: omit grant_type, or use refresh_token or the anonymous grant');
  }
  next();
}
