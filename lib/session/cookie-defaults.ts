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
