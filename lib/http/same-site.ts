import type { Request } from 'express';
import { OAuthError } from '../errors';

/**
 * A request that would act through the browser's cookie must come from the app's own site: `Sec-Fetch-Site`
 * (modern browsers) or, failing that, `Origin` must say so. Requests with neither (curl, native apps) carry no
 * ambient cookie of a victim and pass.
 */
export function isCrossSite(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = req.get('origin');
  return origin !== undefined && !isSameOrigin(req, origin);
}

/**
 * Whether an absolute URL (an `Origin` or `Referer` value) is this request's own origin: scheme, host and port,
 * parsed, never compared as text (`http://shop.example.evil.test` starts with `http://shop.example`).
 *
 * @example
 * const back = isSameOrigin(req, req.get('referer') ?? '') ? req.get('referer')! : '/';
 */
export function isSameOrigin(req: Request, url: string): boolean {
  const own = requestOrigin(req);
  try {
    return own !== undefined && new URL(url).origin === own;
  } catch {
    return false; // `null`, a relative or malformed URL: not ours
  }
}

/** `scheme://host[:port]` of the request as the client addressed it, honouring `trust proxy`. */
function requestOrigin(req: Request): string | undefined {
  // Express 5's `req.host` does this, but Express 4's drops the port; read X-Forwarded-Host only when the
  // `trust proxy` setting trusts the peer, as both versions do for `req.protocol`.
  const trust = req.app.get('trust proxy fn') as ((address: string | undefined, hop: number) => boolean) | undefined;
  const forwarded = req.get('x-forwarded-host');
  const host = forwarded && trust?.(req.socket.remoteAddress, 0) ? forwarded.split(',')[0].trim() : req.get('host');
  if (!host) return undefined;
  try {
    const url = new URL(`${req.protocol}://${host}`);
    // A Host with userinfo, a path or a query is no host at all (`shop.example@evil.test`).
    return url.username || url.password || url.pathname !== '/' || url.search || url.hash ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

/**
 * For the endpoints' cookie modes (browser tokens, cookie logout): a request another site could have made with the
 * visitor's cookie is refused. That is a cross-site one, and also, from a browser that sends neither `Sec-Fetch-Site`
 * nor `Origin`, any body a cross-site form can send (a JSON body needs a CORS preflight, which sends `Origin`).
 */
export function refuseCrossSite(req: Request): void {
  if (isCrossSite(req)) throw new OAuthError('invalid_request', 'Cross-site request refused', 403);
  if (req.get('sec-fetch-site') === undefined && req.get('origin') === undefined && formAble(req)) {
    throw new OAuthError('invalid_request', 'Cookie requests without an Origin header must send a JSON body', 403);
  }
}

/** A body type a plain HTML form (or a no-cors fetch) can send: anything but JSON. No body at all is not one. */
function formAble(req: Request): boolean {
  const type = (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  return type !== '' && !/^application\/(?:[\w.+-]+\+)?json$/.test(type);
}

/**
 * A script of the app's own pages calling it (`fetch` with the browser's cookie): `Sec-Fetch-Site: same-origin`, or,
 * in a browser without Fetch Metadata, an `Origin` naming this host. curl and native apps send neither.
 */
export function isSameOriginBrowser(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin';
  const origin = req.get('origin');
  return origin !== undefined && !isCrossSite(req);
}
