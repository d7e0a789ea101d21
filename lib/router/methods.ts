import type { Request, Response } from 'express';
import { OAuthError } from '../errors';
import { sendError } from '../http/render-error';

/** Any other method on an endpoint path: 405 with `Allow` and an OAuth JSON body, never the app's 404 page. */
export function methodNotAllowed(allowed: string[]) {
  const allow = allowed.join(', ');
  return function methodNotAllowed(_req: Request, res: Response): void {
    sendError(res, new OAuthError('invalid_request', `Use ${allowed.join(' or ')} on this endpoint`, 405, { Allow: allow }));
  };
}
