import { join } from 'node:path';
import { Router, type Request } from 'express';
import { build } from 'esbuild';
import { csrfToken, isAnonymousUser } from '../lib';
import { route } from './errors';
import { API_CART_CSP, apiCartPage } from './views';
import type { Account } from './users';

/** Paths that need no cookie guest: the API cart has a guest of its own, and its script is a static file. */
export const API_CART_PATHS = { page: '/api-cart', script: '/assets/api-cart.js' } as const;

/**
 * The API cart page and its script: browser/api-cart.ts bundled with express-anonymous-session/client by esbuild,
 * once per process on first request, in memory (`npm start` needs no build step).
 */
export function apiCartRoutes(): Router {
  const pages = Router();
  let bundle: Promise<string> | undefined;

  pages.get(API_CART_PATHS.page, function apiCart(req, res) {
    const account = req.user && !isAnonymousUser(req.user) ? (req.user as Account) : undefined;
    res
      .set({ 'Content-Security-Policy': API_CART_CSP, 'Cache-Control': 'no-store' })
      .type('html')
      // The logout form needs the session's CSRF token; a visitor gets no session cookie from this page.
      .send(apiCartPage(account ? { who: { kind: 'account', username: account.username }, csrfToken: csrfToken(req) } : { who: { kind: 'visitor' }, csrfToken: '' }));
  });
  pages.get(
    API_CART_PATHS.script,
    route(async (_req: Request, res) => {
      bundle ??= bundleScript().catch((err: unknown) => {
        bundle = undefined; // the next request tries again
        throw err;
      });
      res.set({ 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' }).type('text/javascript').send(await bundle);
    }),
  );
  return pages;
}

async function bundleScript(): Promise<string> {
  const result = await build({
    entryPoints: [join(__dirname, 'browser', 'api-cart.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}
