import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { AnonymousSessionsOptions, ResolvedOptions } from './options';
import type { AnonymousStore } from './store/types';
import type { AnonymousSessionRecord } from './session-record';
import type { CreateInput, MetadataChange, UpdateOptions } from './session-service';
import { resolveOptions } from './options';
import { MemoryStore } from './store/memory';
import { SessionService } from './session-service';
import { anonymousMiddleware } from './middleware';
import { errorHandler } from './error-handler';
import { warnOnce } from './warn';
import { TokenService } from './tokens/token-service';
import { CreationLimiter } from './rate-limit';
import { anonymousRouter } from './router';
import type { Request, Router } from 'express';
import type { TransferLink } from './store/types';
import type { TransferEvent, TransferOutcome, TransferPreview, TransferReason } from './transfer/types';
import { TransferService } from './transfer/transfer-service';
import { transferMiddleware, type TransferMiddlewareOptions } from './transfer/middleware';
import { AnonymousStrategy, type LocalStrategyOptions, type VerifyFunction } from './strategy/strategy';
import { isAnonymousUser } from './strategy/anonymous-user';
import { AnonymousSessionError } from './errors';

/**
 * The library's entry point: validates options once and hands out the middleware, router, strategy and
 * transfer hooks, all sharing one store.
 *
 * @example
 * const anon = anonymousSessions({ issuer: 'https://shop.example', audience: 'https://api.shop.example' });
 * app.use(session({ secret, resave: false, saveUninitialized: false }));
 * app.use(anon.middleware());
 */
export function anonymousSessions(options: AnonymousSessionsOptions): AnonymousSessions {
  return new AnonymousSessions(options);
}

export class AnonymousSessions {
  readonly options: ResolvedOptions;
  readonly store: AnonymousStore;
  /** @internal */
  readonly service: SessionService;
  /** @internal */
  readonly tokens: TokenService;
  /** @internal */
  readonly limiter: CreationLimiter | undefined;
  /** @internal */
  readonly transfers: TransferService;

  constructor(options: AnonymousSessionsOptions) {
    this.options = resolveOptions(options);
    this.store = this.options.store ?? this.defaultStore();
    this.service = new SessionService(this.store, this.options);
    this.tokens = new TokenService(this.options);
    this.service.tokens = this.tokens;
    this.transfers = new TransferService(this.service, this.tokens, this.options.transfer);
    const rateLimit = this.options.tokens.rateLimit;
    this.limiter = rateLimit === false ? undefined : new CreationLimiter(this.store, rateLimit);
    this.service.beforeCreate = this.limiter ? (req) => this.limiter!.consume(req) : undefined;
    if (this.options.tokens.accessKeys.ephemeral || this.options.tokens.sessionKeys.ephemeral) {
      warnOnce(
        this.options.logger,
        'ephemeral-keys',
        'no `keys` configured: signing keys were generated at start-up. Tokens stop verifying on restart and ' +
          'other processes cannot verify them. Run `npx express-anonymous-session keygen` and pass the result as `keys`.',
      );
    }
  }

  /**
   * The Passport strategy `anonymous` for bearer access tokens, verifying with this instance's keys and store.
   *
   * @example
   * passport.use(anon.strategy({ checkRevocation: true }));
   * app.get('/api/cart', passport.authenticate('anonymous', { session: false }), handler);
   */
  strategy(options: Omit<LocalStrategyOptions, 'anon'> = {}, verify?: VerifyFunction): AnonymousStrategy {
    return new AnonymousStrategy({ ...options, anon: this }, verify);
  }

  /** A guard for routes that need a registered account: no user is 401, an anonymous user 403. */
  requireRealUser(): RequestHandler {
    return function requireRealUser(req, _res, next) {
      if (!req.user) return next(new AnonymousSessionError('login_required', 'Sign in to continue', { status: 401 }));
      if (isAnonymousUser(req.user)) {
        return next(new AnonymousSessionError('real_user_required', 'A registered account is required', { status: 403 }));
      }
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
    return transferMiddleware(this.transfers, reason, options);
  }

  /** The function form, for flows that create the user by hand (sign-up) or want the outcome directly. */
  transferTo(req: Request, user: Express.User, reason: TransferReason): Promise<TransferOutcome> {
    return this.transfers.transfer(req, user, reason);
  }

  /** A dry run: what would merge, changing nothing ("add your 3 guest items to your cart?"). */
  previewTransfer(req: Request, user: Express.User): Promise<TransferPreview> {
    return this.transfers.preview(req, user);
  }

  /** Where an anonymous user was transferred (kept `transfer.linkRetention`), to re-key data stored under its id. */
  findTransfer(anonymousUserId: string): Promise<TransferLink | undefined> {
    return this.transfers.findTransfer(anonymousUserId);
  }

  /** Audit and analytics: `transfer` (merged), `transfer:conflict`, `transfer:failed`. */
  on(event: 'transfer' | 'transfer:conflict' | 'transfer:failed', listener: (event: TransferEvent) => void): this {
    this.transfers.events.on(event, listener);
    return this;
  }

  /** `POST /anonymous/token`, `POST /anonymous/logout`, the JWKS and RFC 8414 metadata. Mount at the app root. */
  router(): Router {
    return anonymousRouter({ options: this.options, service: this.service, tokens: this.tokens, limiter: this.limiter, transfers: this.transfers });
  }

  /** `req.anonymous` on every request; mount after express-session (and passport.session()). */
  middleware(): RequestHandler {
    return anonymousMiddleware(this.service);
  }

  /** Renders this library's errors (503 with `Retry-After`, metadata limits…) as JSON; mount last. */
  errorHandler(): ErrorRequestHandler {
    return errorHandler();
  }

  /** Creates and stores a session outside a request (imports, server-side flows). */
  createSession(input?: CreateInput): Promise<AnonymousSessionRecord> {
    return this.service.create(input);
  }

  /** The active record, or undefined if it is unknown, expired or ended. */
  getSession(sessionId: string): Promise<AnonymousSessionRecord | undefined> {
    return this.service.load(sessionId);
  }

  /** Changes a session's metadata atomically, outside a request. */
  updateSession(sessionId: string, change: MetadataChange, options?: UpdateOptions): Promise<AnonymousSessionRecord> {
    return this.service.update(sessionId, change, options);
  }

  /** Ends a session server-side; resolves false if it was not active. */
  revokeSession(sessionId: string): Promise<boolean> {
    return this.service.revoke(sessionId);
  }

  private defaultStore(): AnonymousStore {
    if (process.env.NODE_ENV === 'production') {
      warnOnce(
        this.options.logger,
        'memory-store',
        'anonymous sessions are kept in memory (the embedded default): they are lost on restart and not shared ' +
          'between processes. Pass `store: new RedisStore({ client })` in production.',
      );
    }
    return new MemoryStore({ clock: this.options.clock });
  }
}
