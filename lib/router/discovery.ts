import type { Request, Response } from 'express';
import type { TokenService } from '../tokens/token-service';
import { ringAlgorithms } from '../tokens/jwt-keys';
import { GRANT_TYPES } from './grants/grant-type';

/** `GET /.well-known/jwks.json` (RFC 7517): access-token public keys only; never private or symmetric material. */
export function jwks(tokens: TokenService) {
  const body = JSON.stringify({ keys: [...tokens.options.accessKeys.byKid.values()].map((k) => k.publicJwk) });
  return function jwks(_req: Request, res: Response): void {
    res.set('Cache-Control', 'public, max-age=300').type('application/jwk-set+json').send(body);
  };
}

/**
 * `GET /.well-known/oauth-authorization-server` (RFC 8414): exactly the endpoints, grants and client
 * authentication methods that work with this configuration (introspection only once a confidential client exists).
 */
export function serverMetadata(tokens: TokenService) {
  const { options, urls } = tokens;
  const clients = [...options.clients.values()];
  const confidential = clients.some((c) => c.secret !== undefined);
  const authMethods = [
    ...(clients.some((c) => c.secret === undefined) ? ['none'] : []),
    ...(confidential ? ['client_secret_basic', 'client_secret_post'] : []),
  ];
  const body = {
    issuer: options.issuer,
    token_endpoint: urls.token,
    jwks_uri: urls.jwks,
    revocation_endpoint: urls.revocation,
    ...(confidential ? { introspection_endpoint: urls.introspection } : {}),
    response_types_supported: [],
    grant_types_supported: [...GRANT_TYPES],
    token_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_methods_supported: authMethods,
    ...(confidential ? { introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'] } : {}),
    scopes_supported: options.scopes,
    access_token_signing_alg_values_supported: ringAlgorithms(options.accessKeys),
  };
  return function serverMetadata(_req: Request, res: Response): void {
    res.set('Cache-Control', 'public, max-age=300').json(body);
  };
}
