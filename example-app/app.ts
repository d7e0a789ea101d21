import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import session, { type Store } from 'express-session';
import { Passport, type AuthenticateOptions } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { RedisStore as SessionRedisStore } from 'connect-redis';
import { createClient, type RedisClientType } from 'redis';
import {
  anonymousSessions,
  cartBySku,
  isAnonymousUser,
  keepUser,
  mergeMetadata,
  union,
  RedisStore,
  sessionCookieDefaults,
  type AnonymousStore,
  type KeysOption,
  type Metadata,
} from '../lib';
import { findProduct, CURRENCIES, type Currency } from './catalog';
import { checkPassword, hashPassword, memoryAccounts, redisAccounts, type Account, type Accounts } from './users';
import { authPage, cartPage, shopPage, type CartLine, type PageContext } from './views';

export interface ExampleOptions {
  /** Use Redis for express-session, anonymous sessions and accounts. */
  redisUrl?: string;
  issuer?: string;
  /** Production keys as JSON (`npx express-anonymous-session keygen`); omitted: ephemeral keys, with a warning. */
  keys?: KeysOption;
}

declare module 'express-session' {
  interface SessionData {
    flash?: string;
  }
}

/** Leaf & Kettle: the example shop. Guests shop with a cart in anonymous metadata; login and sign-up transfer it. */
export async function createApp(options: ExampleOptions = {}): Promise<{ app: Express; close: () => Promise<void> }> {
  let sessionStore: Store | undefined;
  let anonymousStore: AnonymousStore | undefined;
  let accounts: Accounts = memoryAccounts();
  let close = async (): Promise<void> => undefined;
  if (options.redisUrl) {
    const client = createClient({ url: options.redisUrl, disableOfflineQueue: true }) as RedisClientType;
    client.on('error', (err: Error) => console.error('redis:', err.message));
    await client.connect();
    sessionStore = new SessionRedisStore({ client, prefix: 'shop:sess:' });
    anonymousStore = new RedisStore({ client, prefix: 'shop:anon:' });
    accounts = redisAccounts(client);
    close = async () => void (await client.close());
  }

  const anon = anonymousSessions({
    issuer: options.issuer ?? 'http://127.0.0.1:3000',
    audience: 'shop-api',
    store: anonymousStore,
    keys: options.keys,
    scopes: ['cart'],
    clients: [{ id: 'shop-mobile', scopes: ['cart'], defaultScopes: ['cart'] }, { id: 'default', scopes: ['cart'], defaultScopes: ['cart'] }],
    claims: [{ name: 'currency', expression: 'anonymous_session.metadata.prefs.currency' }],
    // Account holders shop in their account; static files need no guest.
    skip: (req) => req.isAuthenticated() || req.path === '/favicon.ico',
    // Runs holding this account's lease: no other transfer into it runs meanwhile, on any process. So read the
    // account here (not as the password check saw it), and write the merge once per transferId, refusing a stale fence.
    async onTransfer({ anonymous, user, transferId, fence }) {
      return accounts.applyTransfer((user as Account).username, transferId, fence, (account) => ({
        ...account,
        data: mergeMetadata({ cart: cartBySku({ mode: 'add', maxQuantity: 99 }), consents: union(), prefs: keepUser() }, account.data, anonymous.metadata),
      }));
    },
  });

  // One Passport per app instance (the global one would be shared by every app in a process).
  const passport = new Passport();
  passport.use(
    new LocalStrategy((username, password, done) => {
      accounts.find(username).then(async (account) => {
        if (!account || !(await checkPassword(password, account.passwordHash))) return done(null, false);
        done(null, account);
      }, done);
    }),
  );
  passport.use(anon.strategy());
  passport.serializeUser((user, done) => done(null, (user as Account).username));
  passport.deserializeUser((username: string, done) => accounts.find(username).then((a) => done(null, a ?? false), done));

  const app = express();
  app.use(session({
    secret: process.env.SESSION_SECRET ?? 'example-app-development-secret-change-me',
    resave: false,
    saveUninitialized: false,
    store: sessionStore,
    cookie: { ...sessionCookieDefaults },
  }));
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(anon.middleware());
  app.use(anon.router());
  app.use(express.urlencoded({ extended: false, limit: '8kb' }));
  app.use(express.json({ limit: '8kb' }));

  /** The shopper's data: the account's when signed in, else the guest's metadata. */
  const dataOf = (req: Request): Metadata => (req.user && !isAnonymousUser(req.user) ? (req.user as Account).data : ((req.anonymous?.metadata as Metadata | undefined) ?? {}));
  async function change(req: Request, fn: (m: Metadata) => Metadata): Promise<void> {
    if (req.user && !isAnonymousUser(req.user)) {
      const account = req.user as Account;
      await accounts.save({ ...account, data: fn(account.data) });
    } else {
      await req.anonymous!.update(fn);
    }
  }
  function context(req: Request): PageContext {
    const data = dataOf(req);
    const flash = req.session.flash;
    if (flash) delete req.session.flash;
    const currency = ((data.prefs as { currency?: Currency } | undefined)?.currency ?? 'EUR') as Currency;
    return {
      who: req.user && !isAnonymousUser(req.user) ? { kind: 'account', username: (req.user as Account).username } : { kind: 'guest', id: req.anonymous?.id ?? 'anonymous' },
      cart: cartOf(data),
      currency: currency in CURRENCIES ? currency : 'EUR',
      consentAsked: (data.consents as { analytics?: boolean } | undefined)?.analytics !== undefined,
      flash,
    };
  }
  const back = (req: Request) => (req.get('referer')?.startsWith(`${req.protocol}://${req.get('host')}`) ? req.get('referer')! : '/');

  app.get('/', (req, res) => res.type('html').send(shopPage(context(req))));
  app.get('/cart', (req, res) => res.type('html').send(cartPage(context(req))));
  app.post('/cart/add', async (req, res) => {
    const product = findProduct(String(req.body.sku));
    if (product) await change(req, (m) => ({ ...m, cart: setQuantity(cartOf(m), product.sku, (q) => Math.min(q + 1, 99)) }));
    res.redirect(303, back(req));
  });
  app.post('/cart/update', async (req, res) => {
    const product = findProduct(String(req.body.sku));
    const quantity = Math.max(0, Math.min(99, Math.floor(Number(req.body.quantity)) || 0));
    if (product) await change(req, (m) => ({ ...m, cart: setQuantity(cartOf(m), product.sku, () => quantity) }));
    res.redirect(303, '/cart');
  });
  app.post('/prefs', async (req, res) => {
    const currency = String(req.body.currency);
    if (currency in CURRENCIES) await change(req, (m) => ({ ...m, prefs: { ...(m.prefs as object | undefined), currency } }));
    res.redirect(303, back(req));
  });
  app.post('/consent', async (req, res) => {
    const analytics = req.body.analytics === 'yes';
    await change(req, (m) => ({ ...m, consents: { ...(m.consents as object | undefined), analytics } }));
    res.redirect(303, back(req));
  });

  app.get('/login', (req, res) => res.type('html').send(authPage('login', context(req))));
  app.post(
    '/login',
    (req: Request, res: Response, next: NextFunction) =>
      passport.authenticate('local', (err: unknown, user: Account | false) => {
        if (err) return next(err);
        if (!user) return res.status(401).type('html').send(authPage('login', context(req), 'Wrong username or password.'));
        req.login(user, (loginErr) => (loginErr ? next(loginErr) : next()));
      })(req, res, next),
    anon.transfer('login'),
    (req, res) => {
      const outcome = req.anonymousTransfer;
      if (outcome?.status === 'merged') req.session.flash = 'Welcome back! Your guest cart was added to your account.';
      res.redirect(303, '/cart');
    },
  );
  app.get('/signup', (req, res) => res.type('html').send(authPage('signup', context(req))));
  app.post('/signup', async (req, res, next) => {
    const username = String(req.body.username ?? '').trim();
    const password = String(req.body.password ?? '');
    if (!/^[A-Za-z0-9_.-]{3,40}$/.test(username) || password.length < 8) {
      return res.status(400).type('html').send(authPage('signup', context(req), 'Pick a username of 3 to 40 letters or digits and a password of at least 8 characters.'));
    }
    if (await accounts.find(username)) return res.status(409).type('html').send(authPage('signup', context(req), 'That username is taken.'));
    const account: Account = { id: username.toLowerCase(), username, passwordHash: await hashPassword(password), data: {} };
    await accounts.save(account);
    const outcome = await anon.transferTo(req, account, 'signup');
    const user = outcome.status === 'merged' ? outcome.user : account;
    req.login(user, (err) => {
      if (err) return next(err);
      req.session.flash = outcome.status === 'merged' ? 'Account created. Your guest cart is in your account.' : 'Account created.';
      res.redirect(303, '/cart');
    });
  });
  app.post('/logout', (req, res, next) => req.logout((err) => (err ? next(err) : res.redirect(303, '/'))));

  // The API a mobile client uses with bearer tokens from POST /anonymous/token.
  const bearer = passport.authenticate('anonymous', { session: false, scope: 'cart' } as AuthenticateOptions);
  app.get('/api/cart', bearer, async (req, res) => {
    const record = await anon.getSession((req.user as { sessionId: string }).sessionId);
    res.json({ cart: record ? cartOf(JSON.parse(record.metadata) as Metadata) : [] });
  });
  app.put('/api/cart', bearer, async (req, res) => {
    const lines = Array.isArray(req.body?.cart) ? (req.body.cart as unknown[]) : null;
    if (!lines) return res.status(400).json({ error: 'invalid_request', error_description: 'Send { cart: [{ sku, quantity }] }' });
    const cart = cartOf({ cart: lines as Metadata[] });
    const record = await anon.updateSession((req.user as { sessionId: string }).sessionId, { cart: cart as unknown as Metadata[] });
    res.json({ cart: cartOf(JSON.parse(record.metadata) as Metadata) });
  });
  app.post(
    '/api/login',
    passport.authenticate('local', { session: false, failWithError: true }),
    anon.transfer('login'),
    (req, res) => res.json({ username: (req.user as Account).username, cart: cartOf((req.user as Account).data), transfer: req.anonymousTransfer?.status }),
  );

  app.use(anon.errorHandler());
  return { app, close };
}

function cartOf(data: Metadata): CartLine[] {
  const raw = Array.isArray(data.cart) ? data.cart : [];
  return raw.flatMap((line) => {
    const l = line as { sku?: unknown; quantity?: unknown };
    return typeof l?.sku === 'string' && findProduct(l.sku) && Number.isInteger(l.quantity) && (l.quantity as number) > 0
      ? [{ sku: l.sku, quantity: Math.min(l.quantity as number, 99) }]
      : [];
  });
}

function setQuantity(cart: CartLine[], sku: string, next: (current: number) => number): Metadata[] {
  const current = cart.find((l) => l.sku === sku)?.quantity ?? 0;
  const quantity = next(current);
  const others = cart.filter((l) => l.sku !== sku);
  const lines = quantity > 0 ? (current ? cart.map((l) => (l.sku === sku ? { sku, quantity } : l)) : [...others, { sku, quantity }]) : others;
  return lines as unknown as Metadata[];
}
