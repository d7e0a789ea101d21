import { Router, type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { warnOnce } from '../config/logger';
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
  router.use(checkMountPath(ctx));
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

/**
 * Once, at the first request: discovery advertises `<issuer><path>`, so the router must answer where the issuer's
 * path says (mounted there, or at the root behind a proxy that strips the path).
 */
function checkMountPath({ tokens, logger }: RouterContext) {
  const issuerPath = new URL(tokens.options.issuer).pathname.replace(/\/+$/, '');
  let checked = false;
  return function checkMountPath(req: Request, _res: Response, next: NextFunction): void {
    if (!checked) {
      checked = true;
      if (req.baseUrl !== '' && req.baseUrl !== issuerPath) {
        warnOnce(
          logger,
          'router-path',
          `anon.router() is mounted at ${req.baseUrl} but the issuer is ${tokens.options.issuer}, so discovery advertises ${tokens.urls.token}: ` +
            'mount the router at the issuer\'s path (or at the root behind a proxy that strips it), or set issuer to match',
        );
      }
    }
    next();
  };
}
