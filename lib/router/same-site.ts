import type { Request } from 'express';
import { OAuthError } from '../errors';

/**
 * A request that would act through the browser's cookie must come from the app's own site: `Sec-Fetch-Site`
 * (modern browsers) or, failing that, `Origin` must say so. Requests with neither (curl, native apps) carry no
 * ambient cookie of a victim and pass.
 */
export function refuseCrossSite(req: Request): void {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new OAuthError('invalid_request', 'Cross-site request refused', 403);
  }
  const origin = req.get('origin');
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host === undefined || host !== req.get('host')) throw new OAuthError('invalid_request', 'Cross-site request refused', 403);
}
