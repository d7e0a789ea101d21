import express, { type Express } from 'express';
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
  sessionCookieDefaults,
  type AnonymousStore,
  type KeysOption,
} from '../lib';
import { apiRoutes } from './api';
import { apiErrors, pageErrors, pageNotFound } from './errors';
import { pageRoutes } from './pages';
import { shopPassport } from './passport';
import { memoryAccounts, redisAccounts, type Account, type Accounts } from './users';

export interface ExampleOptions {
  /** Use Redis for express-session, anonymous sessions and accounts. */
  redisUrl?: string;
  issuer?: string;
  /** Production keys as JSON (`npx express-anonymous-session keygen`); omitted: ephemeral keys, with a warning. */
  keys?: KeysOption;
}

export interface Shop {
  app: Express;
  /** Closes the Redis connection, if any. */
  close(): Promise<void>;
}

/** Leaf & Kettle: the example shop. Guests shop with a cart in anonymous metadata; login and sign-up transfer it. */
export async function createApp(options: ExampleOptions = {}): Promise<Shop> {
  const storage = await connectStorage(options.redisUrl);
  const { accounts } = storage;
  const anon = anonymousSessions({
    issuer: options.issuer ?? 'http://127.0.0.1:3000',
    audience: 'shop-api',
    store: storage.anonymousStore,
    keys: options.keys,
    scopes: ['cart'],
    clients: [{ id: 'shop-mobile', scopes: ['cart'], defaultScopes: ['cart'] }, { id: 'default', scopes: ['cart'], defaultScopes: ['cart'] }],
    claims: [{ name: 'currency', expression: 'anonymous_session.metadata.prefs.currency' }],
    // Account holders shop in their account; static files need no guest.
    skip: (req) => req.isAuthenticated() || req.path === '/favicon.ico',
    async onTransfer({ anonymous, user }) {
      const account = user as Account;
      const data = mergeMetadata({ cart: cartBySku({ mode: 'add', maxQuantity: 99 }), consents: union(), prefs: keepUser() }, account.data, anonymous.metadata);
      const merged = { ...account, data };
      await accounts.save(merged);
      return merged;
    },
  });
  const passport = shopPassport(anon, accounts);

  const app = express();
  app.use(
    session({
      secret: process.env.SESSION_SECRET ?? 'example-app-development-secret-change-me',
      resave: false,
      saveUninitialized: false,
      store: storage.sessionStore,
      cookie: { ...sessionCookieDefaults },
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

  app.use('/api', apiRoutes({ anon, passport }));
  app.use(pageRoutes({ anon, passport, accounts }));
  // Errors: JSON where clients are programs, a friendly page where they are people; never a stack trace.
  app.use(['/api', '/anonymous', '/.well-known'], anon.errorHandler(), apiErrors);
  app.use(pageNotFound, pageErrors);
  return { app, close: storage.close };
}

interface Storage {
  sessionStore?: Store;
  anonymousStore?: AnonymousStore;
  accounts: Accounts;
  close(): Promise<void>;
}

/** Everything in memory (the embedded defaults), or everything on one Redis client. */
async function connectStorage(redisUrl: string | undefined): Promise<Storage> {
  if (!redisUrl) return { accounts: memoryAccounts(), close: async () => undefined };
  const client = createClient({ url: redisUrl, disableOfflineQueue: true }) as RedisClientType;
  client.on('error', (err: Error) => console.error('redis:', err.message));
  await client.connect();
  return {
    sessionStore: new SessionRedisStore({ client, prefix: 'shop:sess:' }),
    anonymousStore: new RedisStore({ client, prefix: 'shop:anon:' }),
    accounts: redisAccounts(client),
    close: async () => void (await client.close()),
  };
}
