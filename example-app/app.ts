import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import session, { type Store } from 'express-session';
import { RedisStore as SessionRedisStore } from 'connect-redis';
import { createClient, type RedisClientType } from 'redis';
import {
  anonymousSessions,
  cartBySku,
  keepUser,
  mergeMetadata,
  union,
  RedisStore,
  sameOriginOnly,
  type AnonymousStore,
  type KeysOption,
} from '../lib';
import { apiRoutes } from './api';
import { API_CART_PATHS, apiCartRoutes } from './api-cart';
import { MAX_QUANTITY } from './cart';
import { ConfigError } from './config';
import { apiErrors, pageErrors, pageNotFound } from './errors';
import { pageRoutes } from './pages';
import { shopPassport } from './passport';
import { memoryAccounts, redisAccounts, type Account, type Accounts } from './users';
import { BoundedSessionStore } from './session-store';
import { LoginThrottle } from './login-throttle';

export interface ShopOptions {
  /** The URL clients use for the shop (PUBLIC_URL): the issuer of its tokens, so every process must agree on it. */
  publicUrl: string;
  /** Signs express-session's cookie (SESSION_SECRET); every process must share it. */
  sessionSecret: string;
  /** Redis for express-session, guests and accounts (REDIS_URL); omitted: all in memory, one process. */
  redisUrl?: string;
  /** Signing keys (ANON_KEYS, from `npm run -s keygen`); omitted: made at start-up, with a warning. */
  keys?: KeysOption;
  /** Express's `trust proxy` (TRUST_PROXY): which reverse proxies may set X-Forwarded-Proto/-Host/-For. */
  trustProxy?: boolean | number | string;
  /** Seconds an access token lives (ACCESS_TOKEN_LIFETIME); omitted: the library's 900. */
  accessTokenLifetime?: number;
}

export interface Shop {
  app: Express;
  /** Closes the Redis connection, if any. */
  close(): Promise<void>;
}

/** Leaf & Kettle: the example shop. Guests shop with a cart in anonymous metadata; login and sign-up transfer it. */
export async function createApp(options: ShopOptions): Promise<Shop> {
  const storage = await connectStorage(options.redisUrl);
  try {
    return { app: shopApp(options, storage), close: storage.close };
  } catch (err) {
    await storage.close(); // a refused option (bad keys) must not leave a Redis connection open
    throw err;
  }
}

function shopApp(options: ShopOptions, storage: Storage): Express {
  const { accounts } = storage;
  const anon = anonymousSessions({
    issuer: options.publicUrl,
    audience: 'shop-api',
    store: storage.anonymousStore,
    keys: options.keys,
    scopes: ['cart'],
    accessTokenLifetime: options.accessTokenLifetime,
    clients: [
      { id: 'shop-mobile', scopes: ['cart'], defaultScopes: ['cart'] },
      { id: 'shop-spa', scopes: ['cart'], defaultScopes: ['cart'] }, // the API cart page
      { id: 'default', scopes: ['cart'], defaultScopes: ['cart'] },
    ],
    claims: [{ name: 'currency', expression: 'anonymous_session.metadata.prefs.currency' }],
    // Account holders shop in their account; static files need no guest; nor does the API cart, which has its own,
    // nor a login reached from it with a ticket naming that guest.
    skip: (req) =>
      req.isAuthenticated() ||
      req.path === '/favicon.ico' ||
      req.path === API_CART_PATHS.page ||
      req.path === API_CART_PATHS.script ||
      (req.method === 'GET' && (req.path === '/login' || req.path === '/signup') && typeof req.query.transfer_ticket === 'string'),
    // Runs holding this account's lease: no other transfer into it runs meanwhile, on any process. So read the
    // account here (not as the password check saw it), and write the merge once per transferId, refusing a stale fence.
    async onTransfer({ anonymous, user, transferId, fence }) {
      return accounts.applyTransfer((user as Account).username, transferId, fence, (account) => ({
        ...account,
        data: mergeMetadata({ cart: cartBySku({ mode: 'add', maxQuantity: MAX_QUANTITY }), consents: union(), prefs: keepUser() }, account.data, anonymous.metadata),
      }));
    },
  });
  const passport = shopPassport(anon, accounts);

  const app = express();
  app.disable('x-powered-by');
  if (options.trustProxy !== undefined) app.set('trust proxy', options.trustProxy);
  app.use(securityHeaders);
  app.use(
    session({
      secret: options.sessionSecret,
      resave: false,
      saveUninitialized: false,
      store: storage.sessionStore,
      cookie: anon.cookieOptions(),
      // Over TLS the cookie is `__Host-`: no sibling subdomain can set one that shadows it (cookie tossing), since
      // browsers accept that prefix only from the host itself, Secure, with Path=/.
      name: options.publicUrl.startsWith('https:') ? '__Host-shop.sid' : 'shop.sid',
    }),
  );
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(anon.middleware());
  app.use(anon.router());
  app.use(express.urlencoded({ extended: false, limit: '8kb' }));
  app.use(express.json({ limit: '8kb' }));
  // CSRF: every state-changing form and JSON route below acts through the browser's cookie (or, at login, sets it),
  // so it must come from the shop's own pages. SameSite=Lax does not stop a sibling subdomain (same site) or an
  // older browser. Bearer API calls and JSON from native apps pass: a page elsewhere cannot send either.
  app.use(sameOriginOnly());

  const throttle = new LoginThrottle(); // password guessing: per username and per address
  app.use('/api', apiRoutes({ anon, passport, throttle }));
  app.use(apiCartRoutes());
  app.use(pageRoutes({ anon, passport, accounts, throttle }));
  // Errors: JSON where clients are programs, a friendly page where they are people; never a stack trace.
  app.use(['/api', '/anonymous', '/.well-known'], anon.errorHandler(), apiErrors);
  app.use(pageNotFound, pageErrors);
  return app;
}

/**
 * Headers every response of the shop carries: no framing (a sibling subdomain framing the shop under a decoy button
 * would click its forms with the visitor's cookie: clickjacking), no MIME sniffing, no full URLs in Referer, and no
 * caching of pages and API answers that are someone's (carts, CSRF tokens).
 */
function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  res.set({
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': res.get('Content-Security-Policy') ?? "frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
  });
  if (!req.path.startsWith('/assets/') && !req.path.startsWith('/.well-known/')) res.set('Cache-Control', 'no-store');
  next();
}

interface Storage {
  sessionStore?: Store;
  anonymousStore?: AnonymousStore;
  accounts: Accounts;
  close(): Promise<void>;
}

/** Everything in memory (the embedded defaults), or everything on one Redis client. */
async function connectStorage(redisUrl: string | undefined): Promise<Storage> {
  if (!redisUrl) return { sessionStore: new BoundedSessionStore(), accounts: memoryAccounts(), close: async () => undefined };
  const client = await connectRedis(redisUrl);
  // A returning guest's record comes from this process until Redis reports a change (the store's read cache, on by
  // default; docs/scaling.md).
  const anonymousStore = new RedisStore({ client, prefix: 'shop:anon:' });
  return {
    sessionStore: new SessionRedisStore({ client, prefix: 'shop:sess:' }),
    anonymousStore,
    accounts: redisAccounts(client),
    close: async () => {
      await anonymousStore.close();
      await client.close();
    },
  };
}

const REDIS_CONNECT_TIMEOUT_MS = 10_000;

/**
 * A client that fails fast while Redis is down (`disableOfflineQueue`: requests get a 503 instead of hanging) and
 * reconnects by itself. node-redis retries the first connection forever, so start-up gives up after 10 s.
 */
async function connectRedis(url: string): Promise<RedisClientType> {
  const client = createClient({ url, disableOfflineQueue: true }) as RedisClientType;
  const where = redactedUrl(url);
  let down = false;
  // A listener is required (node-redis crashes the process without one); it reports an outage once, not per retry.
  client.on('error', (err: Error) => {
    if (!down) console.error(`redis: ${where} unreachable (${err.message}); retrying`);
    down = true;
  });
  client.on('ready', () => {
    if (down) console.error(`redis: ${where} is back`);
    down = false;
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConfigError(`Redis at ${where} did not answer within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s: check REDIS_URL`)), REDIS_CONNECT_TIMEOUT_MS);
  });
  try {
    await Promise.race([client.connect(), timeout]);
  } catch (err) {
    client.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return client;
}

/** The URL without its password, for logs. */
function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'REDIS_URL';
  }
}
