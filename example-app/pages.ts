import { Router, type NextFunction, type Request, type Response } from 'express';
import { csrfToken, isAnonymousUser, isSameOrigin, type AnonymousSessions, type Metadata } from '../lib';
import { findProduct, CURRENCIES, type Currency } from './catalog';
import { cartOf, setQuantity, MAX_QUANTITY } from './cart';
import { HttpError, route } from './errors';
import type { ShopPassport } from './passport';
import type { LoginThrottle } from './login-throttle';
import { credentialsOf } from './credentials';
import { hashPassword, type Account, type Accounts } from './users';
import { authPage, cartPage, shopPage, type AuthCarry, type PageContext } from './views';

declare module 'express-session' {
  interface SessionData {
    flash?: string;
  }
}

export interface PageDeps {
  anon: AnonymousSessions;
  passport: ShopPassport;
  accounts: Accounts;
  throttle: LoginThrottle;
}

/** The shop's HTML pages and forms. The browser's cookie is the credential: a guest, or an account after login. */
export function pageRoutes({ anon, passport, accounts, throttle }: PageDeps): Router {
  const pages = Router();
  const shopper = shopperOf(accounts);

  pages.get('/', (req, res) => res.type('html').send(shopPage(context(req))));
  pages.get('/cart', (req, res) => res.type('html').send(cartPage(context(req))));
  pages.post(
    '/cart/add',
    route(async (req, res) => {
      const product = findProduct(String(req.body.sku));
      if (product) await shopper.change(req, (m) => ({ ...m, cart: setQuantity(cartOf(m), product.sku, (q) => Math.min(q + 1, MAX_QUANTITY)) }));
      res.redirect(303, back(req));
    }),
  );
  pages.post(
    '/cart/update',
    route(async (req, res) => {
      const product = findProduct(String(req.body.sku));
      const quantity = Math.max(0, Math.min(MAX_QUANTITY, Math.floor(Number(req.body.quantity)) || 0));
      if (product) await shopper.change(req, (m) => ({ ...m, cart: setQuantity(cartOf(m), product.sku, () => quantity) }));
      res.redirect(303, '/cart');
    }),
  );
  pages.post(
    '/prefs',
    route(async (req, res) => {
      const currency = String(req.body.currency);
      if (Object.hasOwn(CURRENCIES, currency)) await shopper.change(req, (m) => ({ ...m, prefs: { ...(m.prefs as object | undefined), currency } }));
      res.redirect(303, back(req));
    }),
  );
  pages.post(
    '/consent',
    route(async (req, res) => {
      const analytics = req.body.analytics === 'yes';
      await shopper.change(req, (m) => ({ ...m, consents: { ...(m.consents as object | undefined), analytics } }));
      res.redirect(303, back(req));
    }),
  );

  // A login or sign-up reached from the API cart carries `next` and the `transfer_ticket` naming its guest through
  // to the POST, where anon.transfer() takes the ticket's guest.
  pages.get('/login', (req, res) => res.type('html').send(authPage('login', context(req), undefined, carried(req.query))));
  pages.post('/login', throttle.guard(), logIn(passport, throttle), anon.transfer('login'), function welcome(req, res) {
    if (req.anonymousTransfer?.status === 'merged') req.session.flash = 'Welcome back! Your guest cart was added to your account.';
    else if (req.anonymousTransfer?.status === 'no_session' && carried(req.body).ticket) {
      req.session.flash = 'Logged in, but the API cart did not come along: its login ticket lasts 30 seconds. Log in again from the API cart.';
    }
    res.redirect(303, carried(req.body).next ?? '/cart');
  });
  pages.get('/signup', (req, res) => res.type('html').send(authPage('signup', context(req), undefined, carried(req.query))));
  pages.post(
    '/signup',
    route(async (req, res, next) => {
      const username = String(req.body.username ?? '').trim();
      const password = String(req.body.password ?? '');
      const carry = carried(req.body);
      if (!/^[A-Za-z0-9_.-]{3,40}$/.test(username) || password.length < 8 || password.length > 200) {
        return res.status(400).type('html').send(authPage('signup', context(req), 'Pick a username of 3 to 40 letters or digits and a password of 8 to 200 characters.', carry));
      }
      if (await accounts.find(username)) return res.status(409).type('html').send(authPage('signup', context(req), 'That username is taken.', carry));
      const account: Account = { id: username.toLowerCase(), username, passwordHash: await hashPassword(password), data: {} };
      await accounts.save(account);
      // The function form of the transfer: the account exists before anyone is logged in to it.
      const outcome = await anon.transferTo(req, account, 'signup');
      req.login(outcome.status === 'merged' ? outcome.user : account, (err) => {
        if (err) return next(err);
        req.session.flash = outcome.status === 'merged' ? 'Account created. Your guest cart is in your account.' : 'Account created.';
        res.redirect(303, carry.next ?? '/cart');
      });
    }),
  );
  pages.post('/logout', (req, res, next) => req.logout((err) => (err ? next(err) : res.redirect(303, '/'))));
  return pages;
}

/** passport-local with the page's own answer to a wrong password: the login form again, with the guest kept. */
function logIn(passport: ShopPassport, throttle: LoginThrottle) {
  return function logIn(req: Request, res: Response, next: NextFunction): void {
    const carry = carried(req.body);
    const credentials = credentialsOf(req.body);
    if (!credentials) return void res.status(400).type('html').send(authPage('login', context(req), 'Enter your username and password.', carry));
    passport.authenticate('local', (err: unknown, user: Account | false) => {
      if (err) return next(err);
      if (!user) {
        throttle.failed(credentials.username);
        return res.status(401).type('html').send(authPage('login', context(req), 'Wrong username or password.', carry));
      }
      throttle.succeeded(credentials.username);
      req.login(user, next);
    })(req, res, next);
  };
}

/** Whose data a page shows and changes: the account's when signed in, else the guest's metadata. */
function shopperOf(accounts: Accounts) {
  return {
    async change(req: Request, fn: (m: Metadata) => Metadata): Promise<void> {
      const account = accountOf(req);
      if (account) return accounts.save({ ...account, data: fn(account.data) });
      // No guest: a bearer request (the middleware binds no cookie guest to those) or a skipped path.
      if (!req.anonymous) throw new HttpError(400, 'no_shopper', 'These pages use the browser cookie; API clients use /api');
      await req.anonymous.update(fn);
    },
  };
}

function accountOf(req: Request): Account | undefined {
  return req.user && !isAnonymousUser(req.user) ? (req.user as Account) : undefined;
}

function context(req: Request): PageContext {
  const account = accountOf(req);
  const data = account?.data ?? ((req.anonymous?.metadata as Metadata | undefined) ?? {});
  const flash = req.session.flash;
  if (flash) delete req.session.flash;
  const currency = (data.prefs as { currency?: string } | undefined)?.currency;
  return {
    who: account ? { kind: 'account', username: account.username } : req.anonymous ? { kind: 'guest', id: req.anonymous.id } : { kind: 'visitor' },
    cart: cartOf(data),
    currency: currency !== undefined && Object.hasOwn(CURRENCIES, currency) ? (currency as Currency) : 'EUR',
    consentAsked: (data.consents as { analytics?: boolean } | undefined)?.analytics !== undefined,
    flash,
    csrfToken: csrfToken(req),
  };
}

/** Pages a login may go on to: a path of the shop's own, never `//host` or `/\\host`, which browsers read as another host. */
const LOCAL_PATH = /^\/(?![/\\])[A-Za-z0-9/_-]*$/;
const TICKET = /^[A-Za-z0-9_-]{1,200}$/;

/** `next` and `transfer_ticket` of a query or form body, each kept only if it has the shape it must have. */
function carried(source: unknown): AuthCarry {
  const { next, transfer_ticket: ticket } = (source ?? {}) as Record<string, unknown>;
  return {
    next: typeof next === 'string' && LOCAL_PATH.test(next) ? next : undefined,
    ticket: typeof ticket === 'string' && TICKET.test(ticket) ? ticket : undefined,
  };
}

/**
 * Back to the page the form was on. The Referer is the client's to write, so it is followed only when its parsed
 * origin is the shop's own: a text prefix check would follow `http://127.0.0.1:3000.evil.example/` (open redirect).
 */
function back(req: Request): string {
  const referer = req.get('referer');
  return referer !== undefined && isSameOrigin(req, referer) ? referer : '/';
}
