import type { Request } from 'express';

/** Where a bearer token may come from, beyond the Authorization header (RFC 6750 section 2). */
export interface ExtractOptions {
  /** `access_token` in a form-encoded body of a non-GET request (RFC 6750 2.2). Default false. */
  tokenInBody: boolean;
  /** `access_token` in the query string (RFC 6750 2.3; leaks into logs and history). Default false. */
  tokenInQuery: boolean;
}

export type Extracted =
  | { kind: 'none' }
  | { kind: 'token'; token: string }
  /** A token sent twice, or a Bearer header that is not a b64token: RFC 6750 invalid_request. */
  | { kind: 'invalid'; description: string };

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function extractBearerToken(req: Request, options: ExtractOptions): Extracted {
  const found: string[] = [];
  const header = req.headers.authorization;
  if (typeof header === 'string' && /^bearer(\s|$)/i.test(header)) {
    const match = BEARER.exec(header);
    if (!match) return { kind: 'invalid', description: 'The Authorization header is malformed' };
    found.push(match[1]);
  }
  if (options.tokenInBody && req.method !== 'GET' && req.is('application/x-www-form-urlencoded')) {
    const value = (req.body as Record<string, unknown> | undefined)?.access_token;
    if (value !== undefined) {
      if (typeof value !== 'string') return { kind: 'invalid', description: 'The access_token parameter is malformed' };
      found.push(value);
    }
  }
  if (options.tokenInQuery) {
    const value = (req.query as Record<string, unknown> | undefined)?.access_token;
    if (value !== undefined) {
      if (typeof value !== 'string') return { kind: 'invalid', description: 'The access_token parameter is malformed' };
      found.push(value);
    }
  }
  if (found.length > 1) return { kind: 'invalid', description: 'The request carries more than one access token' };
  return found.length === 1 ? { kind: 'token', token: found[0] } : { kind: 'none' };
}
