import { Router } from 'express';
import type { RouterContext } from './context';
import { PATHS, metadataPath } from '../config/endpoints';
import { tokenEndpoint } from './token-endpoint';
import { logoutEndpoint } from './logout';
import { jwks, serverMetadata } from './discovery';

/** The token endpoint, logout, the JWKS and RFC 8414 metadata: `anon.router()`. */
export function anonymousRouter(ctx: RouterContext): Router {
  const router = Router();
  router.post(PATHS.token, ...tokenEndpoint(ctx));
  router.post(PATHS.logout, ...logoutEndpoint(ctx));
  router.get(PATHS.jwks, jwks(ctx.tokens));
  router.get(metadataPath(ctx.tokens.options.issuer), serverMetadata(ctx.tokens));
  return router;
}
