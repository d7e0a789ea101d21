import type { NextFunction, Request, Response } from 'express';
import { OAuthError } from '../errors';

/** Parameters of the token endpoint, each present at most once and a string (metadata: an object). */
export interface TokenParams {
  client_id?: string;
  client_secret?: string;
  audience?: string;
  scope?: string;
  user_id?: string;
  session_token?: string;
  /** `transfer_ticket` asks for a single-use login ticket instead of tokens. */
  requested_token_type?: string;
  metadata?: unknown;
}

const STRING_PARAMS = ['client_id', 'client_secret', 'audience', 'scope', 'user_id', 'session_token', 'requested_token_type'] as const;

/** Where each step of an endpoint leaves what it learned for the next. */
export function locals(res: Response): Record<string, unknown> {
  return res.locals as Record<string, unknown>;
}

export function params(res: Response): TokenParams {
  return locals(res).params as TokenParams;
}

/** RFC 6749 section 3.2: responses of the token endpoint are never cached. */
export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  next();
}

/** JSON or form bodies only; a repeated parameter or a non-string where a string belongs is `invalid_request`. */
export function readParams(req: Request, res: Response, next: NextFunction): void {
  if (!req.is(['application/json', 'application/x-www-form-urlencoded'])) {
    throw new OAuthError('invalid_request', 'Send application/json or application/x-www-form-urlencoded');
  }
  const body: unknown = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'The request body must be an object');
  }
  const source = body as Record<string, unknown>;
  const result: TokenParams = {};
  for (const name of STRING_PARAMS) {
    if (!Object.hasOwn(source, name)) continue;
    const value = source[name];
    if (Array.isArray(value)) throw new OAuthError('invalid_request', `The parameter ${name} is repeated`);
    if (typeof value !== 'string') throw new OAuthError('invalid_request', `The parameter ${name} must be a string`);
    if (value.length > 0) result[name] = value;
  }
  if (Object.hasOwn(source, 'metadata')) result.metadata = metadataParam(source.metadata, req.is('application/json') !== false);
  locals(res).params = result;
  next();
}

function metadataParam(value: unknown, json: boolean): unknown {
  if (Array.isArray(value) && !json) throw new OAuthError('invalid_request', 'The parameter metadata is repeated');
  if (typeof value === 'string') {
    try {
      return JSON.parse(value);
    } catch {
      throw new OAuthError('invalid_request', 'The parameter metadata must be a JSON object');
    }
  }
  return value;
}
