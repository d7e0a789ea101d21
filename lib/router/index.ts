import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import type { RouterContext } from './context';
import { PATHS, metadataPath } from '../config/endpoints';
import { tokenEndpoint } from './token-endpoint';
import { logoutEndpoint } from './logout';
import { jwks, serverMetadata } from './discovery';
import { revocationEndpoint } from './revocation';
import { introspectionEndpoint } from './introspection';
import { methodNotAllowed } from './methods';
import { corsHeaders, corsPreflight } from './cors';

/**
 * The token endpoint, logout, RFC 7009 revocation, RFC 7662 introspection, the JWKS and RFC 8414 metadata. With
 * `cors`, the endpoints a browser app calls answer preflights and carry CORS headers for the listed origins.
 */
export function anonymousRouter(ctx: RouterContext): Router {
  const router = Router();
  const post = (path: string, pipeline: Array<RequestHandler | ErrorRequestHandler>, crossOrigin = false) => {
    const cors = crossOrigin ? ctx.cors : undefined;
    if (cors) router.options(path, corsPreflight(cors));
    router.post(path, ...(cors ? [corsHeaders(cors)] : []), ...pipeline);
    router.all(path, methodNotAllowed(['POST']));
  };
  const get = (path: string, handler: RequestHandler) => {
    router.get(path, handler); // Express answers HEAD with it too
    router.all(path, methodNotAllowed(['GET', 'HEAD']));
  };
  post(PATHS.token, tokenEndpoint(ctx), true);
  post(PATHS.logout, logoutEndpoint(ctx), true);
  post(PATHS.revocation, revocationEndpoint(ctx), true);
  post(PATHS.introspection, introspectionEndpoint(ctx)); // confidential clients only: never from a browser
  get(PATHS.jwks, jwks(ctx.tokens));
  get(metadataPath(ctx.tokens.options.issuer), serverMetadata(ctx.tokens));
  return router;
}
