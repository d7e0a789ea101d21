import type { Request } from 'express';
import type { HandleServices } from './anonymous-session';
import type { AccessTokenVerifier } from '../strategy/verifier';
import { GuestHandle } from './anonymous-session';
import { AccessDeniedError, MisconfiguredError } from '../errors';
import { TokenError } from '../tokens/token-error';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** What the guard needs: the handle's services, and the verifier for requests that bring only a bearer token. */
export interface GuardServices {
  handles: HandleServices;
  verifier: AccessTokenVerifier;
}

/**
 * Makes sure `req.anonymous` is a guest that exists: the cookie guest as the middleware found it, or the guest named
 * by an anonymous access token (verified here unless the strategy did it already), loaded with one store read.
 */
const MIDDLEWARE_MISSING =
  'anon.middleware() did not run before this route, so the browser\'s guest is unknown here: mount app.use(anon.middleware()) ' +
  'after express-session (and passport.session()) and before your routes';

/**
 * Why there is no guest, as the client should hear it: a cookie request with no guest (a signed-in user, a
 * skipped path) is 401 `guest_required` without a bearer challenge; a request the middleware never saw is a wiring
 * mistake, named in the log.
 */
export function noGuest(req: Request, handles: HandleServices): Error {
  if (req.session && !handles.binding.visited(req) && !BEARER.test(req.get('authorization') ?? '')) return new MisconfiguredError(MIDDLEWARE_MISSING);
  const bearer = /^bearer\s/i.test(req.get('authorization') ?? '');
  return new AccessDeniedError('guest_required', 'This request has no anonymous session', bearer ? { 'WWW-Authenticate': 'Bearer realm="anonymous", error="invalid_token"' } : undefined);
}

export async function ensureGuest({ handles, verifier }: GuardServices, req: Request): Promise<void> {
  if (req.anonymous) return;
  const user = req.user as { anonymous?: unknown; sessionId?: unknown; id?: unknown } | undefined;
  let subject: { sessionId: string; userId: string } | undefined;
  if (user?.anonymous === true && typeof user.sessionId === 'string' && typeof user.id === 'string') {
    subject = { sessionId: user.sessionId, userId: user.id };
  } else {
    const token = BEARER.exec(req.get('authorization') ?? '')?.[1];
    if (token === undefined) throw noGuest(req, handles);
    try {
      const claims = await verifier.verify(token);
      subject = { sessionId: claims.sid, userId: claims.sub };
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      throw new AccessDeniedError('guest_required', 'The access token is invalid', { 'WWW-Authenticate': 'Bearer realm="anonymous", error="invalid_token"' });
    }
  }
  const record = await handles.sessions.load(subject.sessionId);
  if (!record || record.userId !== subject.userId) {
    throw new AccessDeniedError('guest_required', 'The anonymous session has ended', { 'WWW-Authenticate': 'Bearer realm="anonymous", error="invalid_token"' });
  }
  req.anonymous = new GuestHandle(handles, req, record, true);
}
