import type { Request, Response } from 'express';
import type { RouterContext } from './context';

/** `GET /.well-known/jwks.json` (RFC 7517): access-token public keys only; never private or symmetric material. */
export function jwks(ctx: RouterContext) {
  const body = JSON.stringify({ keys: [...ctx.options.tokens.accessKeys.byKid.values()].map((k) => k.publicJwk) });
  return function jwks(_req: Request, res: Response): void {
    res.set('Cache-Control', 'public, max-age=300').type('application/jwk-set+json').send(body);
  };
}

/** `GET /.well-known/oauth-authorization-server` (RFC 8414). */
export function serverMetadata(ctx: RouterContext) {
  const { tokens, options } = ctx;
  const body = {
    issuer: options.issuer,
    token_endpoint: tokens.endpoints.token,
    jwks_uri: tokens.endpoints.jwks,
    revocation_endpoint: tokens.endpoints.logout,
    response_types_supported: [],
    grant_types_supported: ['urn:express-anonymous-session:anonymous'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    scopes_supported: options.tokens.scopes,
    access_token_signing_alg_values_supported: [...new Set([...options.tokens.accessKeys.byKid.values()].map((k) => k.alg))],
  };
  return function serverMetadata(_req: Request, res: Response): void {
    res.set('Cache-Control', 'public, max-age=300').json(body);
  };
}

/** RFC 8414 section 3: for an issuer with a path, the well-known segment goes between host and path. */
export function metadataPath(issuer: string): string {
  const path = new URL(issuer).pathname.replace(/\/+$/, '');
  return `/.well-known/oauth-authorization-server${path}`;
}
