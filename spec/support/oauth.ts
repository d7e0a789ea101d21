import { decodeJwt, decodeProtectedHeader } from 'jose';
import type request from 'supertest';

/** Named assertions for the token endpoint's wire format. */
export function shouldNotBeCached(res: request.Response): void {
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers.pragma).toBe('no-cache');
}

export function shouldBeOAuthError(res: request.Response, status: number, error: string): void {
  expect({ status: res.status, error: res.body.error }).toEqual({ status, error });
  expect(typeof res.body.error_description).toBe('string');
  shouldNotBeCached(res);
}

export function shouldBeTokenResponse(res: request.Response, extra: Record<string, unknown> = {}): void {
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    ...extra,
    token_type: 'Bearer',
    access_token: expect.any(String),
    expires_in: expect.any(Number),
    scope: expect.any(String),
    session_token: expect.any(String),
    session_expires_in: expect.any(Number),
  });
  shouldNotBeCached(res);
}

export function decode(token: string): { header: ReturnType<typeof decodeProtectedHeader>; claims: ReturnType<typeof decodeJwt> } {
  return { header: decodeProtectedHeader(token), claims: decodeJwt(token) };
}
