import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { ResolvedTokenOptions } from '../tokens/options';
import { DEFAULT_CLIENT_ID } from '../tokens/options';
import { OAuthError } from '../errors';
import { required, stateOf } from './state';

/**
 * Identifies the client: public (`client_id` only) or confidential (`client_secret_basic` or `client_secret_post`,
 * exactly one method). Failures are 401 `invalid_client`, with a Basic challenge when Basic was tried.
 */
export function authenticateClient(tokens: ResolvedTokenOptions) {
  return function authenticateClient(req: Request, _res: Response, next: NextFunction): void {
    const p = required(req, 'params');
    const basic = parseBasic(req.get('authorization'));
    if (basic && (p.client_secret !== undefined || (p.client_id !== undefined && p.client_id !== basic.id))) {
      throw new OAuthError('invalid_request', 'Use one client authentication method');
    }
    const id = basic?.id ?? p.client_id ?? (tokens.defaultClient ? DEFAULT_CLIENT_ID : undefined);
    const secret = basic?.secret ?? p.client_secret;
    const fail = (description: string) =>
      new OAuthError('invalid_client', description, 401, basic ? { 'WWW-Authenticate': 'Basic realm="anonymous"' } : {});
    if (id === undefined) throw new OAuthError('invalid_request', 'The parameter client_id is required');
    const found = tokens.clients.get(id);
    if (!found) throw fail('Unknown client');
    if (found.secret === undefined ? secret !== undefined : secret === undefined || !sameSecret(secret, found.secret)) {
      throw fail('Client authentication failed');
    }
    stateOf(req).client = found;
    next();
  };
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_client', 'Malformed Basic credentials', 401, { 'WWW-Authenticate': 'Basic realm="anonymous"' });
  try {
    // RFC 6749 section 2.3.1: id and secret are form-urlencoded before Basic encoding.
    return { id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')) };
  } catch {
    throw new OAuthError('invalid_client', 'Malformed Basic credentials', 401, { 'WWW-Authenticate': 'Basic realm="anonymous"' });
  }
}

/** Constant-time comparison of digests, so neither length nor content leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
