import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ConfigurationError, CrossSiteRequestError, MisconfiguredError } from '../errors';
import { isSameOrigin } from './same-site';
import { consoleLogger, warnOnce, type Logger } from '../config/logger';

/**
 * Cross-site request forgery defence for routes that act through the browser's cookie (HTML forms, and JSON
 * routes a page's own scripts call). `SameSite=Lax` alone is not enough: sibling subdomains are the same *site*,
 * so their forms carry the cookie, and older browsers ignore the attribute.
 */

export interface SameOriginOptions {
  /** Form field that carries the fallback token. Default `_csrf`. */
  field?: string;
  /** Request header that carries the fallback token (for scripts). Default `x-csrf-token`. */
  header?: string;
  /** `req.session` key that holds the token. Default `csrfToken`; pass the same to `csrfToken()`. */
  sessionKey?: string;
  /**
   * With neither `Sec-Fetch-Site` nor `Origin`, let a JSON body through without the token. Default true: a page
   * on another origin can only send `Content-Type: application/json` after a CORS preflight, and every browser
   * that preflights sends `Origin`, so such a request is not a browser's cross-site request (native apps, curl).
   */
  allowTokenlessJson?: boolean;
  /** Receives a once-only hint when a refusal looks like a proxy set-up mistake. Default `console`. */
  logger?: Logger;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
const BEARER = /^bearer\s/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Refuses state-changing requests that did not come from this app's own origin, with 403 `cross_site_request`.
 * In order: safe methods pass; a bearer `Authorization` header passes (browsers never attach one by themselves);
 * `Sec-Fetch-Site` decides if present (`same-origin` and `none`, a typed-in navigation, pass; `same-site` and
 * `cross-site` do not); else `Origin` decides, compared to the request's own origin (`req.protocol` and host,
 * honouring `trust proxy`); with neither header the synchronizer token from `csrfToken(req)` must come back in the
 * form field or the header. Mount it after express-session and the body parsers, before the routes.
 *
 * With `Referrer-Policy: no-referrer`, browsers without Fetch Metadata send `Origin: null` even for the app's own
 * forms, which is refused: keep the default policy (`strict-origin-when-cross-origin`) or `same-origin`.
 *
 * @example
 * app.use(session({ secret, resave: false, saveUninitialized: false, cookie: { ...sessionCookieDefaults } }));
 * app.use(express.urlencoded({ extended: false }));
 * app.use(sameOriginOnly());
 * app.get('/cart', (req, res) => res.send(`<form method="post" action="/cart/add">
 *   <input type="hidden" name="_csrf" value="${csrfToken(req)}"> …</form>`));
 * app.use(anon.errorHandler()); // renders the 403 as { error: 'cross_site_request', error_description }
 */
export function sameOriginOnly(options: SameOriginOptions = {}): RequestHandler {
  const { field, header, sessionKey, allowTokenlessJson } = resolveOptions(options);
  const logger = options.logger ?? consoleLogger;
  return function sameOriginOnly(req: Request, _res: Response, next: NextFunction): void {
    // Checked on every request, not only where a token is compared: mounted before express-session, the guard would
    // otherwise pass every modern browser and fail only old ones, so the mistake would surface in production.
    if (!req.session) return next(new MisconfiguredError(NO_SESSION));
    if (SAFE_METHODS.has(req.method) || BEARER.test(req.get('authorization') ?? '')) return next();
    const site = req.get('sec-fetch-site');
    if (site !== undefined) return next(site === 'same-origin' || site === 'none' ? undefined : new CrossSiteRequestError('fetch-metadata'));
    const origin = req.get('origin');
    if (origin !== undefined) {
      if (isSameOrigin(req, origin)) return next();
      if (sameHostOtherScheme(req, origin)) {
        warnOnce(logger, 'csrf-trust-proxy', `sameOriginOnly() refused ${origin} for this host, which Express sees as ${req.protocol}: behind a TLS proxy, set app.set('trust proxy', …) so req.protocol is the one clients use`);
      }
      return next(new CrossSiteRequestError('origin'));
    }
    // Neither header: an old browser, or not a browser at all. Only the page we rendered knows the token.
    // `application/json` exactly: what express.json() parses. A vendor `+json` type a route never parses would reach
    // it unchecked (and unread).
    if (allowTokenlessJson && mediaType(req) === 'application/json') return next();
    if (req.body === undefined && mediaType(req) === 'application/x-www-form-urlencoded') {
      return next(new MisconfiguredError('the form body is not parsed: mount express.urlencoded() (or your multipart parser) before sameOriginOnly()'));
    }
    const sent = req.get(header) ?? (req.body as Record<string, unknown> | undefined)?.[field];
    const expected = sessionOf(req)[sessionKey];
    next(typeof sent === 'string' && typeof expected === 'string' && sameToken(sent, expected) ? undefined : new CrossSiteRequestError('token'));
  };
}

/**
 * The synchronizer token of this browser's session, made on first use: put it in every form as a hidden field
 * (`_csrf`) or send it from scripts in `X-CSRF-Token`. Only browsers that send neither `Sec-Fetch-Site` nor
 * `Origin` need it, but every form should carry it. It lives in `req.session`, so it changes when the session
 * does (at login and logout): pages rendered before then must be reloaded. For a page request that carries
 * `Sec-Fetch-Site` (a browser that will send it with the form too) the token is not stored: no session is saved
 * for it.
 *
 * @example
 * `<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${csrfToken(req)}">…</form>`
 */
export function csrfToken(req: Request, options: Pick<SameOriginOptions, 'sessionKey'> = {}): string {
  const { sessionKey } = resolveOptions(options);
  const session = sessionOf(req);
  const existing = session[sessionKey];
  if (typeof existing === 'string' && existing.length === 43) return existing;
  const token = randomBytes(32).toString('base64url');
  // A browser that sends Fetch Metadata with the page sends it with the form too, and sameOriginOnly() decides by it
  // without comparing a token. Storing one would only make every such page view (or a flood of them) save a session.
  if (req.get('sec-fetch-site') === undefined) session[sessionKey] = token;
  return token;
}

/** The Origin names this very host, only with another scheme: a TLS proxy Express was not told to trust. */
function sameHostOtherScheme(req: Request, origin: string): boolean {
  try {
    const url = new URL(origin);
    return url.host === req.get('host') && `${url.protocol}` !== `${req.protocol}:`;
  } catch {
    return false;
  }
}

const NO_SESSION = 'req.session is missing: mount express-session before sameOriginOnly() and csrfToken()';

function sessionOf(req: Request): Record<string, unknown> {
  if (!req.session) {
    throw new MisconfiguredError(NO_SESSION);
  }
  return req.session as unknown as Record<string, unknown>;
}

function sameToken(sent: string, expected: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function mediaType(req: Request): string {
  return (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

function resolveOptions(options: SameOriginOptions): Required<Omit<SameOriginOptions, 'logger'>> {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('sameOriginOnly', `options must be an object, got ${show(options)}`);
  const field = options.field ?? '_csrf';
  const header = options.header ?? 'x-csrf-token';
  const sessionKey = options.sessionKey ?? 'csrfToken';
  const allowTokenlessJson = options.allowTokenlessJson ?? true;
  if (typeof field !== 'string' || field === '') throw new ConfigurationError('sameOriginOnly.field', `must be a non-empty string, got ${show(field)}`);
  if (typeof header !== 'string' || !HEADER_NAME.test(header)) throw new ConfigurationError('sameOriginOnly.header', `must be an HTTP header name, got ${show(header)}`);
  if (typeof sessionKey !== 'string' || sessionKey === '') throw new ConfigurationError('sameOriginOnly.sessionKey', `must be a non-empty string, got ${show(sessionKey)}`);
  if (typeof allowTokenlessJson !== 'boolean') throw new ConfigurationError('sameOriginOnly.allowTokenlessJson', `must be a boolean, got ${show(allowTokenlessJson)}`);
  return { field, header, sessionKey, allowTokenlessJson };
}
