import type { ErrorRequestHandler, Request, RequestHandler, Router } from 'express';
import type { CookieOptions } from 'express-session';
import type { AnonymousStore, TransferLink } from './store/types';
import type { Logger } from './config/logger';
import type { AnonymousSessionInfo } from './session/record';
import type { AnonymousSession } from './session/anonymous-session';
import type { RegisteredMetadata } from './session/metadata';
import type { CreateInput, MetadataChange, UpdateOptions } from './session/session-service';
import type { SessionOptions } from './session/options';
import type { RateLimitOption } from './session/creation-limit';
import type { TokenOptions } from './tokens/options';
import type { OnTransfer, TransferEvent, TransferEventName, TransferOptions, TransferOutcome, TransferPreview, TransferReason } from './transfer/types';
import type { TransferMiddlewareOptions } from './transfer/middleware';
import type { LocalStrategyOptions, VerifyFunction } from './strategy/strategy';
import type { MetricsOptions } from './metrics/types';
import { ConfigurationError, AccessDeniedError, DEFAULT_RETRY_AFTER } from './errors';
import { consoleLogger, warnOnce } from './config/logger';
import { optionalFunction, optionsObject } from './config/validate';
import { MemoryStore } from './store/memory';
import { SESSION_OPTION_NAMES, resolveSessionOptions } from './session/options';
import { SessionService } from './session/session-service';
import { SessionBinding } from './session/binding';
import { CreationLimiter, resolveRateLimit } from './session/creation-limit';
import { anonymousMiddleware } from './session/middleware';
import { ensureGuest, noGuest } from './session/require-guest';
import { infoOf } from './session/record';
import { step } from './http/async';
import { guestCookieOptions } from './session/cookie-defaults';
import { TOKEN_OPTION_NAMES, resolveTokenOptions } from './tokens/options';
import { TokenService } from './tokens/token-service';
import { resolveTransferOptions } from './transfer/options';
import { TransferService } from './transfer/transfer-service';
import { transferMiddleware } from './transfer/middleware';
import { AnonymousStrategy } from './strategy/strategy';
import { sessionIsActive } from './strategy/verifier';
import { isAnonymousUser } from './strategy/anonymous-user';
import { renderErrors } from './http/render-error';
import { anonymousRouter } from './router';
import { resolveCors, type CorsOptions } from './router/cors';
import { holdInternals, internalsOf, type Internals } from './internals';
import { resolveMetrics } from './metrics/options';
import { measureStore } from './metrics/store';
import type { LifecycleOptions } from './lifecycle/options';
import type { LifecycleEventName, LifecycleListener } from './lifecycle/events';
import type { AnonymousAdmin } from './admin/admin';
import { resolveLifecycleOptions } from './lifecycle/options';
import { LIFECYCLE_EVENTS, LifecycleEmitter } from './lifecycle/events';
import { withLifecycle } from './lifecycle/evented-store';
import { Reaper } from './lifecycle/reaper';
import { AdminService } from './admin/admin';
import { guestsOf } from './store/lifecycle';
import { DEFAULT_REAPER } from './lifecycle/options';
import { TokenRotation } from './session/token-rotation';

/** Options of `anonymousSessions()`. Every duration is in seconds, as in OAuth's `expires_in`. */
export interface AnonymousSessionsOptions<M = RegisteredMetadata> extends TokenOptions, SessionOptions {
  /** Where anonymous sessions live. Default: a `MemoryStore` (one process; warns in production). */
  store?: AnonymousStore;
  /** Guest creation limit per client address, counted in the store. `false` turns it off. */
  rateLimit?: RateLimitOption | false;
  /** Clock in epoch milliseconds (tests freeze it). Default `Date.now`. */
  clock?: () => number;
  /** Receives warnings and handled failures. Default `console`. */
  logger?: Logger;
  /** Merges a guest into the real user at login and sign-up; returns the merged user. */
  onTransfer?: OnTransfer<M>;
  transfer?: TransferOptions;
  /** CORS on the token, logout and revocation endpoints for token-mode SPAs on these exact origins. Default: none. */
  cors?: CorsOptions;
  /**
   * OpenTelemetry metrics (README "Operations"). Default: recorded through the global MeterProvider of
   * `@opentelemetry/api` when that optional peer is installed, else nothing. `{ meterProvider }` picks a provider;
   * `false` turns them off.
   */
  metrics?: MetricsOptions | false;
  /** Lifecycle events and the reaper that delivers `expired`. */
  lifecycle?: LifecycleOptions;
}

const OPTION_NAMES = [...TOKEN_OPTION_NAMES, ...SESSION_OPTION_NAMES, 'store', 'rateLimit', 'clock', 'logger', 'onTransfer', 'transfer', 'cors', 'metrics', 'lifecycle'];

/**
 * The library's entry point: validates options once and hands out the middleware, router, strategy and
 * transfer hooks, all sharing one store.
 *
 * @example
 * const anon = anonymousSessions({ issuer: 'https://shop.example', audience: 'https://api.shop.example' });
 * app.use(session({ secret, resave: false, saveUninitialized: false }));
 * app.use(anon.middleware());
 */
export function anonymousSessions<M extends object = RegisteredMetadata>(options: AnonymousSessionsOptions<M>): AnonymousSessions<M> {
  return new AnonymousSessions<M>(options);
}

/**
 * One configured instance: everything it hands out shares its store, keys and options. `M` types guest metadata
 * where the instance hands it out (`anon.guest(req)`, sessions, transfer outcomes); declare it in `Register` to type
 * `req.anonymous` too.
 */
export class AnonymousSessions<M extends object = RegisteredMetadata> {
  constructor(options: AnonymousSessionsOptions<M>) {
    if (options === null || typeof options !== 'object') {
      throw new ConfigurationError('options', 'anonymousSessions() needs an options object with issuer and audience');
    }
    if ('lazy' in options) throw new ConfigurationError('lazy', "was replaced by persist: 'write' (lazy: true) or 'always' (lazy: false)");
    refuseMisplacedOptions(options);
    optionsObject(options, 'options', OPTION_NAMES);
    holdInternals(this, compose(options as unknown as AnonymousSessionsOptions));
  }

  /**
   * The Passport strategy `anonymous` for bearer access tokens, verifying with this instance's keys and store.
   *
   * @example
   * passport.use(anon.strategy({ checkRevocation: true }));
   * app.get('/api/cart', passport.authenticate('anonymous', { session: false }), handler);
   */
  strategy(options: LocalStrategyOptions = {}, verify?: VerifyFunction): AnonymousStrategy {
    return new AnonymousStrategy({ ...options, verifier: internalsOf(this).verifier }, verify);
  }

  /**
   * A guard for routes that act on the guest: a cookie guest passes; a request authenticated with an anonymous bearer
   * token (by `passport.authenticate('anonymous')`, or by this guard itself) gets `req.anonymous` loaded from the store,
   * with parsed metadata, `update()` and `revoke()`; anything else is 401 `guest_required` (with an RFC 6750 challenge
   * when a bearer token was presented).
   *
   * @example
   * app.put('/api/cart', anon.requireGuest(), async (req, res) => res.json(await anon.guest(req).update({ cart: req.body.cart })));
   */
  requireGuest(): RequestHandler {
    const i = internalsOf(this);
    return step(async function requireGuest(req, _res, next) {
      await ensureGuest(i, req);
      next();
    });
  }

  /**
   * The request's guest, typed with this instance's metadata; throws 401 `guest_required` when there is none (mount
   * `requireGuest()` first on bearer routes).
   */
  guest(req: Request): AnonymousSession<M> {
    if (!req.anonymous) throw noGuest(req, internalsOf(this).handles);
    return req.anonymous as unknown as AnonymousSession<M>;
  }

  /** A guard for routes that need a registered account: no user is 401, an anonymous user 403. */
  requireRealUser(): RequestHandler {
    return function requireRealUser(req, _res, next) {
      if (!req.user) return next(new AccessDeniedError('login_required', 'Sign in to continue'));
      if (isAnonymousUser(req.user)) return next(new AccessDeniedError('real_user_required', 'A registered account is required'));
      next();
    };
  }

  /**
   * Transfers the request's guest into `req.user` after the app's own authentication, exactly once.
   *
   * @example
   * app.post('/login', passport.authenticate('local'), anon.transfer('login'), (req, res) => res.redirect('/'));
   */
  transfer(reason: TransferReason, options?: TransferMiddlewareOptions): RequestHandler {
    return transferMiddleware(internalsOf(this).transfers, reason, options);
  }

  /** The function form, for flows that create the user by hand (sign-up) or want the outcome directly. */
  transferTo(req: Request, user: Express.User, reason: TransferReason): Promise<TransferOutcome<M>> {
    return internalsOf(this).transfers.transfer(req, user, reason) as Promise<TransferOutcome<M>>;
  }

  /**
   * A dry run: what would merge, changing nothing ("add your 3 guest items to your cart?"). It names the guest the
   * transfer would take (a ticket is read, not spent), including one an `ask` login kept for this user.
   */
  previewTransfer(req: Request, user: Express.User | undefined): Promise<TransferPreview<M>> {
    if (user === undefined) return Promise.reject(new AccessDeniedError('login_required', 'previewTransfer() needs the signed-in user'));
    return internalsOf(this).transfers.preview(req, user) as Promise<TransferPreview<M>>;
  }

  /**
   * The user said no to the guest an `anon.transfer(reason, { mode: 'ask' })` login kept: forget it. The guest
   * itself is left as it is. Resolves whether one was kept.
   */
  declineTransfer(req: Request): Promise<boolean> {
    return internalsOf(this).transfers.decline(req);
  }

  /** Where an anonymous user was transferred (kept `transfer.linkRetention`), to re-key data stored under its id. */
  findTransfer(anonymousUserId: string): Promise<TransferLink | undefined> {
    return internalsOf(this).transfers.findTransfer(anonymousUserId);
  }

  /**
   * Audit and analytics: `transfer` (merged), `transfer:conflict` (also `already_transferred`), `transfer:failed`,
   * `transfer:busy`, and `transfer:outcome` for every outcome.
   */
  on(event: TransferEventName, listener: (event: TransferEvent) => void): this;
  /**
   * Lifecycle: `created` (stored), `revoked`, `transferred`, and `expired` with the final record, delivered at least
   * once by the reaper (an async listener is awaited before the record is deleted; a throw means it comes again).
   *
   * @example
   * anon.on('expired', async ({ anonymousUserId }) => { await db.uploads.deleteMany({ owner: anonymousUserId }); });
   */
  on<E extends LifecycleEventName>(event: E, listener: LifecycleListener<E>): this;
  on(event: string, listener: (event: never) => unknown): this {
    const i = internalsOf(this);
    if ((LIFECYCLE_EVENTS as readonly string[]).includes(event)) {
      const name = event as LifecycleEventName;
      if (name === 'expired' && !i.reaper) {
        warnOnce(i.logger, 'expired-without-reaper', "an 'expired' listener was added, but the store has no `guests` (GuestLifecycleStore): it will never be called");
      }
      i.events.on(name, listener as LifecycleListener<typeof name>);
    } else {
      i.transfers.events.on(event as TransferEventName, listener as (event: TransferEvent) => void);
    }
    return this;
  }

  /** Removes a lifecycle listener added with `on`. */
  off<E extends LifecycleEventName>(event: E, listener: LifecycleListener<E>): this {
    internalsOf(this).events.off(event, listener);
    return this;
  }

  /** Data rights and operations: find, export, erase, list and count guests; run the reaper by hand. */
  get admin(): AnonymousAdmin {
    return internalsOf(this).admin;
  }

  /** `POST /anonymous/token`, `POST /anonymous/logout`, the JWKS and RFC 8414 metadata. Mount at the app root. */
  router(): Router {
    const i = internalsOf(this);
    return anonymousRouter({ sessions: i.sessions, binding: i.binding, tokens: i.tokens, transfers: i.transfers, handles: i.handles, retryAfter: i.retryAfter, logger: i.logger, cors: i.cors, metrics: i.metrics, rotation: i.rotation });
  }

  /** `req.anonymous` on every request; mount after express-session (and passport.session()). */
  middleware(): RequestHandler {
    const i = internalsOf(this);
    return anonymousMiddleware(i.handles, i.logger);
  }

  /**
   * Cookie options for express-session that keep a guest as long as it can live: `sessionCookieDefaults` (HttpOnly,
   * SameSite=Lax, Secure over TLS) and `maxAge` = `lifetimes.absolute`. connect-redis and express-session's
   * MemoryStore keep the session as long as the cookie.
   *
   * @example
   * app.use(session({ store, secret, resave: false, saveUninitialized: false, cookie: anon.cookieOptions() }));
   */
  cookieOptions(overrides?: CookieOptions): CookieOptions {
    return guestCookieOptions(internalsOf(this).sessions.options.lifetimes.absolute, overrides);
  }

  /** Renders this library's errors (503 with `Retry-After`, metadata limits…) as JSON; mount last. */
  errorHandler(): ErrorRequestHandler {
    return renderErrors('app', internalsOf(this));
  }

  /** Creates and stores a session outside a request (imports, server-side flows). */
  async createSession(input?: CreateInput<M>): Promise<AnonymousSessionInfo<M>> {
    return infoOf<M>(await internalsOf(this).sessions.create(input as CreateInput));
  }

  /** The active session, metadata parsed; undefined if it is unknown, expired or ended. */
  async getSession(sessionId: string): Promise<AnonymousSessionInfo<M> | undefined> {
    const record = await internalsOf(this).sessions.load(sessionId);
    return record && infoOf<M>(record);
  }

  /** Changes a session's metadata atomically, outside a request; resolves to the session after the change. */
  async updateSession(sessionId: string, change: MetadataChange<M>, options?: UpdateOptions): Promise<AnonymousSessionInfo<M>> {
    return infoOf<M>(await internalsOf(this).sessions.update(sessionId, change as MetadataChange, options));
  }

  /** Ends a session server-side; resolves false if it was not active. */
  revokeSession(sessionId: string): Promise<boolean> {
    return internalsOf(this).sessions.revoke(sessionId);
  }

  /** Stops this instance's background work (the reaper, the embedded store's sweep). A store you passed in is yours to close. */
  close(): void {
    const i = internalsOf(this);
    i.reaper?.stop();
    if (i.ownsStore && i.store instanceof MemoryStore) i.store.close();
  }
}

/** Options that belong inside a group, given at the top level (by their name or in snake_case). */
const GROUPED: Record<string, string> = {
  idle: 'lifetimes',
  absolute: 'lifetimes',
  touchinterval: 'lifetimes',
  metadatabytes: 'limits',
  metadatadepth: 'limits',
  metadatakeys: 'limits',
  updateattempts: 'limits',
  accesstoken: 'keys',
  sessiontoken: 'keys',
  sessiontokenformat: 'keys',
  points: 'rateLimit',
  ipv6prefix: 'rateLimit',
  challenge: 'rateLimit',
  lease: 'transfer',
  linkretention: 'transfer',
  ticketlifetime: 'transfer',
  getuserid: 'transfer',
  accountwait: 'transfer',
  hooktimeout: 'transfer',
};

/** RedisStore's read-cache options, which a reader of the scaling docs may put on anonymousSessions() instead. */
const STORE_CACHE_OPTIONS = new Set(['cache', 'maxentries', 'maxstaleness']);

function refuseMisplacedOptions(options: object): void {
  for (const key of Object.keys(options)) {
    if (STORE_CACHE_OPTIONS.has(key.toLowerCase()) && !OPTION_NAMES.includes(key)) {
      throw new ConfigurationError(key, `is an option of RedisStore: anonymousSessions({ store: new RedisStore({ client, cache: true }) })`);
    }
    const group = GROUPED[key.toLowerCase().replace(/[_-]/g, '')];
    if (group !== undefined && !OPTION_NAMES.includes(key)) {
      throw new ConfigurationError(key, `belongs inside ${group}: { ${group}: { ${key.replace(/[_-](\w)/g, (_, c: string) => c.toUpperCase())}: … } }`);
    }
  }
}

/** The composition root: the only place that resolves the whole options and wires the services together. */
function compose(options: AnonymousSessionsOptions): Internals {
  const clock = optionalFunction(options.clock, 'clock') ?? Date.now;
  const logger = options.logger ?? consoleLogger;
  if (typeof logger?.warn !== 'function') throw new ConfigurationError('logger', 'must have a warn(message) method');
  const sessionOptions = resolveSessionOptions(options);
  const tokenOptions = resolveTokenOptions(options);
  const rateLimit = resolveRateLimit(options.rateLimit);
  const transferOptions = resolveTransferOptions(options.onTransfer, options.transfer);
  const cors = resolveCors(options.cors);
  const metrics = resolveMetrics(options.metrics, logger);
  const lifecycleOptions = resolveLifecycleOptions(options.lifecycle);
  const appStore = options.store ?? defaultStore(clock, logger);
  if (appStore === null || typeof appStore.get !== 'function' || typeof appStore.claim !== 'function') {
    throw new ConfigurationError('store', 'must implement AnonymousStore (e.g. new RedisStore({ client }))');
  }
  const events = new LifecycleEmitter(logger);
  const evented = withLifecycle(appStore, events, logger);
  // Every service gets the store through the timer (store latency and errors), unless metrics are off.
  const store = metrics.enabled ? measureStore(evented, metrics) : evented;
  const lifecycle = guestsOf(appStore);
  const reaper = lifecycle && new Reaper(lifecycle, events, lifecycleOptions.reaper || DEFAULT_REAPER, clock, logger, metrics);
  if (reaper && lifecycleOptions.reaper) reaper.start();
  const retryAfter = store.retryAfter ?? DEFAULT_RETRY_AFTER;
  const ephemeral = [tokenOptions.accessKeys.ephemeral && 'keys.accessToken', tokenOptions.sessionKeys.ephemeral && 'keys.sessionToken'].filter(Boolean);
  if (ephemeral.length) {
    warnOnce(
      logger,
      'ephemeral-keys',
      `${ephemeral.join(' and ')} ${ephemeral.length > 1 ? 'are' : 'is'} not set: ephemeral keys were generated at start-up. ` +
        'Tokens stop verifying on restart and other processes cannot verify them. Run `npx express-anonymous-session keygen` ' +
        'and pass the parsed output as `keys`.',
    );
  }

  const limiter = rateLimit === false ? undefined : new CreationLimiter(store, rateLimit, clock, metrics);
  const sessions = new SessionService(store, sessionOptions, clock, limiter, metrics);
  const binding = new SessionBinding(sessionOptions.sessionKey, retryAfter);
  const tokens = new TokenService(tokenOptions, clock, sessionOptions.lifetimes.absolute);
  const rotation = tokenOptions.reuseGraceMs === undefined ? undefined : new TokenRotation(store, sessions, tokenOptions.reuseGraceMs, clock);
  const transfers = new TransferService({ store, tokens, binding, clock, logger, metrics, rotation }, transferOptions);
  return {
    store,
    ownsStore: options.store === undefined,
    sessions,
    binding,
    tokens,
    transfers,
    rotation,
    handles: {
      sessions,
      binding,
      issueTokens: async (record, issue) => {
        const response = await tokens.issueFor(record, issue);
        metrics.tokensIssued('server');
        return response;
      },
    },
    verifier: {
      clockTolerance: tokenOptions.clockTolerance,
      now: clock,
      verify: (token) => tokens.verifyAccessToken(token),
      hasKey: (kid) => tokenOptions.accessKeys.byKid.has(kid),
      isActive: (claims) => sessionIsActive(store, claims, clock()),
      refused: (reason) => metrics.accessTokenRefused(reason),
    },
    logger,
    metrics,
    clock,
    retryAfter,
    cors,
    events,
    reaper,
    admin: new AdminService({ store, lifecycle, reaper, clock }),
  };
}

function defaultStore(clock: () => number, logger: Logger): AnonymousStore {
  if (process.env.NODE_ENV === 'production') {
    warnOnce(
      logger,
      'memory-store',
      'anonymous sessions are kept in memory (the embedded default): they are lost on restart and not shared ' +
        'between processes. Pass `store: new RedisStore({ client })` in production.',
    );
  }
  return new MemoryStore({ clock });
}
