import type { NextFunction, Request, Response } from 'express';
import { OAuthError } from '../errors';
import { hasDuplicateKey } from './duplicate-keys';

/** RFC 6749 section 3.2: responses of the token endpoint are never cached. */
export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  next();
}

/**
 * Reads the named string parameters of a JSON or form body (each present at most once and a string; empty means
 * absent) and, if named, a `metadata` object (JSON text in a form). Anything else is `invalid_request`.
 */
export function readBodyParams<K extends string>(req: Request, names: readonly K[]): Partial<Record<K, string>> & { metadata?: unknown } {
  // No body at all (no Content-Type and nothing sent, as `curl -X POST` does): no parameters, so the endpoint names
  // the one that is missing instead of asking for a content type.
  const { headers } = req;
  if (headers['content-type'] === undefined && headers['transfer-encoding'] === undefined && (headers['content-length'] ?? '0') === '0') return {};
  if (!req.is(['application/json', 'application/x-www-form-urlencoded'])) {
    throw new OAuthError('invalid_request', 'Send application/json or application/x-www-form-urlencoded');
  }
  const body: unknown = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'The request body must be an object');
  }
  const source = body as Record<string, unknown>;
  const result: Partial<Record<string, string>> & { metadata?: unknown } = {};
  for (const name of names) {
    if (!Object.hasOwn(source, name)) continue;
    const value = source[name];
    if (Array.isArray(value)) throw new OAuthError('invalid_request', `The parameter ${name} is repeated`);
    if (typeof value !== 'string') throw new OAuthError('invalid_request', `The parameter ${name} must be a string`);
    if (value.length > 0) result[name] = value;
  }
  if (Object.hasOwn(source, 'metadata')) result.metadata = metadataParam(source.metadata, req.is('application/json') !== false);
  return result as Partial<Record<K, string>> & { metadata?: unknown };
}

function metadataParam(value: unknown, json: boolean): unknown {
  if (Array.isArray(value) && !json) throw new OAuthError('invalid_request', 'The parameter metadata is repeated');
  if (typeof value === 'string') {
    if (hasDuplicateKey(value)) throw new OAuthError('invalid_request', 'A parameter is repeated');
    try {
      return JSON.parse(value);
    } catch {
      throw new OAuthError('invalid_request', 'The parameter metadata must be a JSON object');
    }
  }
  return value;
}
