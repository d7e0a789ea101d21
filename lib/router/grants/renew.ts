import type { Request } from 'express';
import type { RouterContext } from '../context';
import type { ActiveRecord } from '../../session/record';
import type { TokenFailure } from '../../tokens/token-error';
import { OAuthError } from '../../errors';
import { required } from '../state';

/** The wire error for a session token that failed verification, in one place for every endpoint that reads one. */
export function sessionTokenError(reason: TokenFailure): OAuthError {
  return reason === 'expired'
    ? new OAuthError('session_expired', 'The anonymous session expired')
    : new OAuthError('invalid_session_token', 'The session token is invalid');
}

/**
 * `invalid_grant` for a session that ended, with the extra member `anonymous_session_state` (RFC 6749 section 5.2
 * allows extra members) so that clients can tell a transfer from a revocation without reading the description.
 */
export function endedSessionError(state: 'revoked' | 'transferred', description = `The anonymous session was ${state}`): OAuthError {
  return new OAuthError('invalid_grant', description, undefined, {}, { anonymous_session_state: state });
}

/** A replaced session token used again (rotation's reuse detection): the session was revoked just now. */
export const REUSED_TOKEN = 'The session token was replaced and then used again, so the anonymous session was revoked (token reuse)';

function admissionError(reason: 'reused' | 'ended' | 'unknown'): OAuthError {
  if (reason === 'reused') return endedSessionError('revoked', REUSED_TOKEN);
  if (reason === 'ended') return new OAuthError('invalid_grant', 'The anonymous session ended');
  return new OAuthError('invalid_grant', 'The session token does not match its session');
}

/**
 * Renew: the session token names the guest; the store says whether it may still act. With rotation on, a renewal
 * moves the session to the next token generation (the answer's session token is the only good one from now on); a
 * transfer-ticket request only checks that the token is current, since its answer carries no new session token.
 */
export async function renewGuest(ctx: RouterContext, req: Request): Promise<ActiveRecord> {
  const p = required(req, 'params');
  if (p.user_id !== undefined || p.metadata !== undefined) {
    throw new OAuthError('invalid_request', 'user_id and metadata cannot be sent with session_token');
  }
  const check = await ctx.tokens.checkSessionToken(required(req, 'sessionToken'));
  if (!check.ok) throw sessionTokenError(check.reason);
  const { claims } = check;
  if (claims.client_id !== required(req, 'client').id) throw new OAuthError('invalid_grant', 'The session token was issued to another client');
  const record = await ctx.sessions.store.get(claims.session_id);
  if (!record || record.expiresAt <= ctx.sessions.now()) throw new OAuthError('session_expired', 'The anonymous session expired');
  if (record.userId !== claims.user_id) throw new OAuthError('invalid_grant', 'The session token does not match its session');
  if (record.state !== 'active') throw endedSessionError(record.state);
  let current = record;
  if (ctx.rotation) {
    const gen = claims.gen ?? 0;
    const admission = p.requested_token_type === undefined ? await ctx.rotation.renew(record, gen) : await ctx.rotation.admit(record, gen);
    if (!admission.ok) throw admissionError(admission.reason);
    current = admission.record;
  }
  // One read serves both the checks above and the activity write-back.
  return (await ctx.sessions.recordActivity(current)) ?? current;
}
