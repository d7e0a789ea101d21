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
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== req.get('host');
  } catch {
    return true; // `null` or garbage: not our site
  }
}

export function refuseCrossSite(req: Request): void {
  if (isCrossSite(req)) throw new OAuthError('invalid_request', 'Cross-site request refused', 403);
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
