import { Router, type NextFunction, type Request, type Response } from 'express';
import type { AnonymousSessions, Metadata } from '../lib';
import { findProduct } from './catalog';
import { cartOf, setQuantity, MAX_QUANTITY } from './cart';
import { credentialsOf } from './credentials';
import { apiNotFound, HttpError, route } from './errors';
import type { ShopPassport } from './passport';
import type { LoginThrottle } from './login-throttle';
import type { Account } from './users';

export interface ApiDeps {
  anon: AnonymousSessions;
  passport: ShopPassport;
  throttle: LoginThrottle;
}

/**
 * The API a mobile client (or the shop's own scripts, like the API cart page) uses, mounted at `/api`: the guest's
 * cart with a bearer access token from `POST /anonymous/token`, and login, which carries the guest into the account.
 */
export function apiRoutes({ anon, passport, throttle }: ApiDeps): Router {
  const api = Router();
  // The bearer token authenticates the guest; requireGuest() then loads it into req.anonymous (one store read).
  const guest = [requireAccessToken(passport), anon.requireGuest()];

  api.get(
    '/guest',
    ...guest,
    route(async (req, res) => {
      res.json({ id: anon.guest(req).id });
    }),
  );
  api.get(
    '/cart',
    ...guest,
    route(async (req, res) => {
      res.json({ cart: cartOf(anon.guest(req).metadata as Metadata) });
    }),
  );
  api.put(
    '/cart',
    ...guest,
    route(async (req, res) => {
      const lines = (req.body as { cart?: unknown } | undefined)?.cart;
      if (!Array.isArray(lines)) throw new HttpError(400, 'invalid_request', 'Send { "cart": [{ "sku": "…", "quantity": 1 }] }');
      const cart = cartOf({ cart: lines as Metadata[] });
      const metadata = await anon.guest(req).update({ cart: cart as unknown as Metadata[] });
      res.json({ cart: cartOf(metadata as Metadata) });
    }),
  );
  // One line changed atomically (anon.guest(req).update): two tabs adding at the same moment both land.
  api.patch(
    '/cart',
    ...guest,
    route(async (req, res) => {
      const { sku, add } = (req.body ?? {}) as { sku?: unknown; add?: unknown };
      const product = typeof sku === 'string' ? findProduct(sku) : undefined;
      if (!product || !Number.isInteger(add) || Math.abs(add as number) > MAX_QUANTITY) {
        throw new HttpError(400, 'invalid_request', `Send { "sku": "…", "add": n } with a known SKU and n from -${MAX_QUANTITY} to ${MAX_QUANTITY}`);
      }
      const change = (q: number) => Math.max(0, Math.min(MAX_QUANTITY, q + (add as number)));
      const metadata = await anon.guest(req).update((m) => ({ ...m, cart: setQuantity(cartOf(m as Metadata), product.sku, change) }));
      res.json({ cart: cartOf(metadata as Metadata) });
    }),
  );
  api.post('/login', requireCredentials, throttle.guard(), authenticateAccount(passport, throttle), anon.transfer('login'), function loggedIn(req, res) {
    const account = req.user as Account;
    res.json({ username: account.username, cart: cartOf(account.data), transfer: req.anonymousTransfer?.status });
  });
  api.use(apiNotFound);
  return api;
}

function requireCredentials(req: Request, _res: Response, next: NextFunction): void {
  next(credentialsOf(req.body) ? undefined : new HttpError(400, 'invalid_request', 'Send { "username": "…", "password": "…" } as JSON'));
}

/** passport-local without a session (the API has no cookie); a wrong password is a JSON 401, not passport's text. */
function authenticateAccount(passport: ShopPassport, throttle: LoginThrottle) {
  return function authenticateAccount(req: Request, res: Response, next: NextFunction): void {
    const username = credentialsOf(req.body)?.username ?? '';
    passport.authenticate('local', { session: false }, (err: unknown, user: Account | false) => {
      if (err) return next(err);
      if (!user) {
        throttle.failed(username);
        return next(new HttpError(401, 'invalid_credentials', 'Wrong username or password'));
      }
      throttle.succeeded(username);
      req.user = user;
      next();
    })(req, res, next);
  };
}

/**
 * The `anonymous` bearer strategy, with its failure as JSON. Passport would answer a failure with a text body;
 * the RFC 6750 challenge goes in `WWW-Authenticate` (the strategy adds it itself for 400 and 403) and the same
 * error code in the body.
 */
function requireAccessToken(passport: ShopPassport) {
  return function requireAccessToken(req: Request, res: Response, next: NextFunction): void {
    passport.authenticate('anonymous', { session: false, scope: 'cart' }, (err: unknown, user: Express.User | false, challenge: unknown, status?: number) => {
      if (err) return next(err);
      if (user) {
        req.user = user;
        return next();
      }
      const header = typeof challenge === 'string' ? challenge : 'Bearer realm="anonymous"';
      if (status === undefined || status === 401) res.setHeader('WWW-Authenticate', header);
      const code = /\berror="([^"]*)"/.exec(header)?.[1] ?? 'missing_token';
      const description = /\berror_description="([^"]*)"/.exec(header)?.[1] ?? 'Send an access token from POST /anonymous/token: Authorization: Bearer …';
      next(new HttpError(status ?? 401, code, description));
    })(req, res, next);
  };
}
