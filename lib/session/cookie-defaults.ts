import type { Request } from 'express';
import type { CookieOptions } from 'express-session';

/**
 * Cookie options for express-session that this library recommends: not readable by scripts, not sent on
 * cross-site subrequests, and `Secure` whenever the request came over TLS (`req.secure`, which honours Express's
 * `trust proxy`), so a plain-HTTP development server still works.
 *
 * @example
 * app.set('trust proxy', 1); // behind one TLS-terminating proxy
 * app.use(session({ secret, resave: false, saveUninitialized: false, cookie: { ...sessionCookieDefaults } }));
 */
export const sessionCookieDefaults: Readonly<Pick<CookieOptions, 'httpOnly' | 'sameSite' | 'secure'>> = Object.freeze({
  httpOnly: true,
  sameSite: 'lax',
  secure: 'auto',
});

/**
 * The cookie options a guest needs to come back: `sessionCookieDefaults` plus a `maxAge` of the guest's absolute
 * lifetime, so the browser keeps the cookie (and express-session's store, connect-redis included, keeps the session
 * it names) for as long as the guest can live. Without a `maxAge` the cookie dies with the browser, and
 * connect-redis keeps the session one day: a shopper returning tomorrow would be a new, empty guest.
 */
export function guestCookieOptions(absoluteLifetimeSeconds: number, overrides: CookieOptions = {}): CookieOptions {
  return { ...sessionCookieDefaults, maxAge: absoluteLifetimeSeconds * 1000, ...overrides };
}

/**
 * What is wrong with a request's session cookie and store lifetimes for guests that live `idleSeconds`, if anything:
 * a browser-session cookie, a shorter cookie, or (without a cookie expiry) a store TTL shorter than the idle window.
 */
export function lifetimeProblem(req: Request, idleSeconds: number): string | undefined {
  const maxAge = req.session.cookie?.originalMaxAge;
  const fix = 'use cookie: anon.cookieOptions() in express-session (its maxAge is lifetimes.absolute), or a longer maxAge';
  if (maxAge === null || maxAge === undefined) {
    return `express-session's cookie has no maxAge: it dies when the browser closes, and the guest (kept lifetimes.idle = ${idleSeconds} s) is orphaned; ${fix}`;
  }
  if (maxAge < idleSeconds * 1000) {
    return `express-session's cookie lives ${Math.round(maxAge / 1000)} s, less than lifetimes.idle (${idleSeconds} s): a returning guest loses its cart; ${fix}`;
  }
  const ttl = (req.sessionStore as unknown as { ttl?: unknown } | undefined)?.ttl;
  if (typeof ttl === 'number' && ttl < idleSeconds && req.session.cookie?.expires === undefined) {
    return `the session store keeps sessions ${ttl} s, less than lifetimes.idle (${idleSeconds} s); ${fix}`;
  }
  return undefined;
}
