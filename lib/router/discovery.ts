import type { Request, Response } from 'express';
import type { TokenService } from '../tokens/token-service';
import { ringAlgorithms } from '../tokens/jwt-keys';

/** `GET /.well-known/jwks.json` (RFC 7517): access-token public keys only; never private or symmetric material. */
export function jwks(tokens: TokenService) {
  const body = JSON.stringify({ keys: [...tokens.options.accessKeys.byKid.values()].map((k) => k.publicJwk) });
  return function jwks(_req: Request, res: Response): void {
    res.set('Cache-Control', 'public, max-age=300').type('application/jwk-set+json').send(body);
  };
}

/** `GET /.well-known/oauth-authorization-server` (RFC 8414). */
export function serverMetadata(tokens: TokenService) {
  const { options, urls } = tokens;
  const body = {
    issuer: options.issuer,
    token_endpoint: urls.token,
    jwks_uri: urls.jwks,
    revocation_endpoint: urls.logout,
    response_types_supported: [],
    grant_types_supported: ['urn:express-anonymous-session:anonymous'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    scopes_supported: options.scopes,
    access_token_signing_alg_values_supported: ringAlgorithms(options.accessKeys),
  };
  return function serverMetadata(_req: Request, res: Response): void {
    res.set('Cache-Control', 'public, max-age=300').json(body);
  };
}
