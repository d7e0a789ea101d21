import { Router } from 'express';
import type { RouterContext } from './context';
import { tokenEndpoint } from './token-endpoint';
import { logoutEndpoint } from './logout';
import { jwks, metadataPath, serverMetadata } from './discovery';

/** Paths the router serves; the middleware loads but never auto-creates a guest on the POST ones. */
export const TOKEN_PATH = '/anonymous/token';
export const LOGOUT_PATH = '/anonymous/logout';

export function anonymousRouter(ctx: RouterContext): Router {
  const router = Router();
  router.post(TOKEN_PATH, ...tokenEndpoint(ctx));
  router.post(LOGOUT_PATH, ...logoutEndpoint(ctx));
  router.get('/.well-known/jwks.json', jwks(ctx));
  router.get(metadataPath(ctx.options.issuer), serverMetadata(ctx));
  return router;
}
