import express, { type Express } from 'express';
import session, { type Store } from 'express-session';
import passport from 'passport';
import { Strategy } from 'passport-strategy';
import {
  anonymousSessions,
  cartBySku,
  mergeMetadata,
  union,
  type AnonymousSessions,
  type AnonymousSessionsOptions,
  type AnonymousStore,
  type Logger,
  type Metadata,
  type TransferContext,
} from '../../lib';
import { ISSUER, AUDIENCE } from './app';
import { TEST_KEYS } from './keys';

export interface ShopUser {
  id: string;
  name: string;
  data: Metadata;
  /** Transfer ids already merged (only with `idempotent`). */
  transfers?: string[];
  /** Fence of the last transfer written (only with `fenced`). */
  fence?: number;
}

/** Where the app keeps its real users; a Map here, Redis in the multi-process tests. */
export interface UserDb {
  get(id: string): Promise<ShopUser | undefined>;
  put(user: ShopUser): Promise<void>;
}

export function memoryUsers(initial: ShopUser[] = []): UserDb & { all: Map<string, ShopUser> } {
  const all = new Map(initial.map((u) => [u.id, u]));
  return { all, get: async (id) => all.get(id), put: async (u) => void all.set(u.id, u) };
}

/** Logs in whoever names themselves in `username` (passwords are not what these tests are about). */
class TestLogin extends Strategy {
  name = 'local';
  constructor(private readonly users: UserDb) {
    super();
  }
  override authenticate(req: express.Request): void {
    const name = (req.body as { username?: string } | undefined)?.username;
    if (!name) return this.fail(401);
    this.users.get(name).then(
      (user) => (user ? this.success(user) : this.fail(401)),
      (err: Error) => this.error(err),
    );
  }
}

export interface TransferAppOptions {
  users: UserDb;
  anon?: Partial<AnonymousSessionsOptions>;
  store?: AnonymousStore;
  sessionStore?: Store;
  /** Mount anon.middleware() before passport.session() (default) or after. */
  middlewareFirst?: boolean;
  /** Called in the hook between computing the merge and writing it (delays, failures, crashes). */
  onMerge?: (user: ShopUser, context: TransferContext) => Promise<void> | void;
  /** Called first thing in every hook run. */
  onAttempt?: (context: TransferContext) => Promise<void> | void;
  /** Skip a transfer id already written (the idempotent hook; the write is not atomic here, the tests run one process). */
  idempotent?: boolean;
  /** Refuse a write whose fence is smaller than the account's (an attempt that lost its lease). */
  fenced?: boolean;
  /** Trust X-Forwarded-For (tests choose client addresses). */
  trustProxy?: boolean;
}

/** What the library logged: `[level, message]`, kept off the test output. */
export type LogLines = Array<['warn' | 'error', string]>;

export function capturingLogger(): Logger & { lines: LogLines } {
  const lines: LogLines = [];
  return { lines, warn: (message) => void lines.push(['warn', message]), error: (message) => void lines.push(['error', message]) };
}

/** A small shop: passport sessions, the anonymous layer, login and sign-up with transfer. */
export function transferApp(options: TransferAppOptions): { app: Express; anon: AnonymousSessions; logs: LogLines } {
  const { users } = options;
  const logger = capturingLogger();
  const anon = anonymousSessions({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: TEST_KEYS,
    rateLimit: false,
    persist: 'always',
    store: options.store,
    logger,
    // The serialized hook: the account lease is held, so read the account here, not as the login saw it.
    async onTransfer(context) {
      const { anonymous, user, transferId } = context;
      await options.onAttempt?.(context);
      const account = (await users.get((user as ShopUser).id)) ?? (user as ShopUser);
      if (options.idempotent && account.transfers?.includes(transferId)) return account;
      const merged: ShopUser = { ...account, data: mergeMetadata({ cart: cartBySku(), consents: union() }, account.data, anonymous.metadata) };
      if (options.idempotent) merged.transfers = [...(account.transfers ?? []), transferId];
      await options.onMerge?.(merged, context);
      if (options.fenced) {
        const latest = await users.get(account.id);
        if ((latest?.fence ?? 0) > context.fence) throw new Error(`stale fence ${context.fence} < ${latest!.fence}`);
        merged.fence = context.fence;
      }
      await users.put(merged);
      return merged;
    },
    ...options.anon,
  });
  const pp = new passport.Passport();
  pp.use(new TestLogin(users));
  pp.serializeUser((user, done) => done(null, (user as ShopUser).id));
  pp.deserializeUser((id: string, done) => users.get(id).then((u) => done(null, u ?? false), done));

  const app = express();
  if (options.trustProxy) app.set('trust proxy', true);
  app.use(express.json());
  app.use(express.urlencoded({ extended: false }));
  app.use(session({ secret: 'a transfer test secret', resave: false, saveUninitialized: false, store: options.sessionStore, cookie: anon.cookieOptions() }));
  if (options.middlewareFirst !== false) app.use(anon.middleware());
  app.use(pp.initialize());
  app.use(pp.session());
  if (options.middlewareFirst === false) app.use(anon.middleware());
  app.use(anon.router());

  app.get('/me', (req, res) => {
    res.json({ user: (req.user as ShopUser | undefined) ?? null, guest: req.anonymous ? { id: req.anonymous.id, sessionId: req.anonymous.sessionId, metadata: req.anonymous.metadata } : null });
  });
  app.post('/cart', async (req, res) => {
    const { sku, quantity } = req.body as { sku: string; quantity: number };
    const m = await req.anonymous!.update((cur) => ({ ...cur, cart: [...((cur.cart as Metadata[] | undefined) ?? []), { sku, quantity }] }));
    res.json(m);
  });
  // An app handing its page's guest to a native app, server-side: the token endpoint gives a cookie guest no session token.
  app.post('/my-session-token', async (req, res, next) => {
    try {
      res.json(await req.anonymous!.issueTokens());
    } catch (err) {
      next(err);
    }
  });
  app.post('/login', pp.authenticate('local'), anon.transfer('login'), (req, res) => {
    res.json({ user: req.user, transfer: summarize(req.anonymousTransfer) });
  });
  app.post('/login-strict', pp.authenticate('local'), anon.transfer('login', { onConflict: 'fail', onError: 'fail' }), (req, res) => {
    res.json({ user: req.user, transfer: summarize(req.anonymousTransfer) });
  });
  app.post('/signup', async (req, res, next) => {
    try {
      const name = String((req.body as { username: string }).username);
      const created: ShopUser = { id: name, name, data: {} };
      await users.put(created);
      const outcome = await anon.transferTo(req, created, 'signup');
      const user = outcome.status === 'merged' ? outcome.user : created;
      req.login(user, (err) => (err ? next(err) : res.json({ user, transfer: summarize(outcome) })));
    } catch (err) {
      next(err);
    }
  });
  app.post('/preview', pp.authenticate('local', { session: false }), async (req, res) => {
    res.json(await anon.previewTransfer(req, req.user!));
  });
  // "Add your guest items?": the login keeps the guest; a later page previews it; the answer merges or declines it.
  app.post('/login-ask', pp.authenticate('local'), anon.transfer('login', { mode: 'ask' }), (req, res) => {
    res.json({ user: req.user, transfer: summarize(req.anonymousTransfer) });
  });
  app.get('/guest-items', async (req, res) => {
    res.json(req.user ? await anon.previewTransfer(req, req.user) : null);
  });
  app.post('/guest-items', async (req, res, next) => {
    try {
      if ((req.body as { answer?: string }).answer !== 'yes') return res.json({ declined: await anon.declineTransfer(req) });
      const outcome = await anon.transferTo(req, req.user!, 'login');
      res.json({ user: req.user, transfer: summarize(outcome) });
    } catch (err) {
      next(err);
    }
  });
  app.use(anon.errorHandler());
  return { app, anon, logs: logger.lines };
}

function summarize(outcome: import('../../lib').TransferOutcome | undefined): unknown {
  if (!outcome) return null;
  if (outcome.status === 'failed') {
    return { status: 'failed', error: String(outcome.error), ...(outcome.cleanupError === undefined ? {} : { cleanupError: String(outcome.cleanupError) }) };
  }
  if (outcome.status === 'merged') return { status: 'merged', anonymousUserId: outcome.anonymous.userId };
  if (outcome.status === 'deferred') return { status: 'deferred', anonymousUserId: outcome.anonymous.userId, metadata: outcome.anonymous.metadata };
  const { transferId: _, ...rest } = outcome as { transferId?: string };
  return rest;
}
