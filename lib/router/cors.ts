import type { NextFunction, Request, Response } from 'express';
import { ConfigurationError } from '../errors';
import { optionsObject, show } from '../config/validate';

/**
 * CORS for token-mode single-page apps served from another origin: the browser lets their scripts call
 * `POST /anonymous/token`, `/anonymous/logout` and `/anonymous/revoke`, and read the answers, errors included.
 * Only the listed origins, each matched exactly; no credentials (token mode sends no cookie), so a listed origin can
 * never act through a visitor's cookie. Introspection is left out: it is for confidential clients, and a browser
 * must not hold a client secret.
 *
 * @example
 * ```ts
 * const anon = anonymousSessions({ issuer, audience, cors: { origins: ['https://spa.shop.example'] } });
 * ```
 */
export interface CorsOptions {
  /** Origins exactly as browsers send them in `Origin`: scheme, lower-case host, and a port only when not the default. */
  origins: readonly string[];
}

/** The options, checked. */
export interface ResolvedCors {
  origins: ReadonlySet<string>;
}

export const CORS_ALLOW_METHODS = 'POST';
export const CORS_ALLOW_HEADERS = 'content-type, idempotency-key, authorization';
/** Without these the client cannot see that a token was refused (RFC 6750) or how long to wait (429, 503). */
export const CORS_EXPOSE_HEADERS = 'WWW-Authenticate, Retry-After';
/** Seconds a browser may reuse a preflight's answer. */
const PREFLIGHT_MAX_AGE = '600';

/** Checks `cors` once, at construction; undefined when it is not set (no CORS headers at all). */
export function resolveCors(option: CorsOptions | undefined): ResolvedCors | undefined {
  if (option === undefined) return undefined;
  const { origins } = optionsObject(option, 'cors', ['origins']);
  if (!Array.isArray(origins) || origins.length === 0) {
    throw new ConfigurationError('cors.origins', `must be a non-empty array of origins such as "https://spa.shop.example", got ${show(origins)}`);
  }
  origins.forEach((origin: unknown, i) => {
    if (!isSerializedOrigin(origin)) {
      throw new ConfigurationError(
        `cors.origins[${i}]`,
        `must be an origin as browsers send it: http(s), lower-case host, no default port, no path or trailing slash, no wildcard (e.g. "https://spa.shop.example"), got ${show(origin)}`,
      );
    }
  });
  return { origins: new Set(origins) };
}

function isSerializedOrigin(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

/** The request's `Origin` if it is one of the configured origins. */
function allowedOrigin(cors: ResolvedCors, req: Request): string | undefined {
  const origin = req.get('origin');
  return origin !== undefined && cors.origins.has(origin) ? origin : undefined;
}

/**
 * First step of a CORS-enabled endpoint: an allowed origin gets itself back in `Access-Control-Allow-Origin` and the
 * headers the client must read; every answer varies by `Origin`, so no cache hands one origin's answer to another.
 */
export function corsHeaders(cors: ResolvedCors) {
  return function corsHeaders(req: Request, res: Response, next: NextFunction): void {
    res.vary('Origin');
    const origin = allowedOrigin(cors, req);
    if (origin !== undefined) res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': CORS_EXPOSE_HEADERS });
    next();
  };
}

/**
 * `OPTIONS` on a CORS-enabled endpoint: a preflight from an allowed origin is answered `204` with what may be sent;
 * anything else (another origin, no `Access-Control-Request-Method`) goes on, to the `405` of other methods.
 */
export function corsPreflight(cors: ResolvedCors) {
  return function corsPreflight(req: Request, res: Response, next: NextFunction): void {
    res.vary('Origin');
    const origin = allowedOrigin(cors, req);
    if (origin === undefined || req.get('access-control-request-method') === undefined) return next();
    res
      .set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': CORS_ALLOW_METHODS,
        'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
        'Access-Control-Max-Age': PREFLIGHT_MAX_AGE,
      })
      .status(204)
      .end();
  };
}
