import type { AccessTokenClaims } from '../tokens/access-token';

/** `req.user` after `passport.authenticate('anonymous')`: a guest, never a registered user. */
export interface AnonymousUser {
  /** The anonymous user id (`sub`). */
  id: string;
  sessionId: string;
  anonymous: true;
  /** Granted scopes. */
  scope: string[];
  /** The verified access-token claims, or undefined when the cookie-bound session was the credential. */
  claims: AccessTokenClaims | undefined;
}

/** Narrows `req.user` to an anonymous user. */
export function isAnonymousUser(user: unknown): user is AnonymousUser {
  return typeof user === 'object' && user !== null && (user as { anonymous?: unknown }).anonymous === true;
}
