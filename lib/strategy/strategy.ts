import { Strategy } from 'passport-strategy';
import type { Request, Response } from 'express';
import type { AnonymousStore } from '../store/types';
import type { AccessTokenClaims } from '../tokens/access-token';
import type { AccessTokenVerifier } from './verifier';
import type { AccessTokenRefusal } from '../metrics/instrumentation';
import { TokenError } from '../tokens/token-error';
import { ConfigurationError, StoreUnavailableError, isStoreOutage } from '../errors';
import { DESCRIPTION_CHARS, SCOPE_TOKEN, integerInRange, nonEmptyString, positiveInteger } from '../config/validate';
import { bearerChallenge, type ChallengeParams } from './challenge';
import { extractBearerToken } from './extract-token';
import type { AnonymousUser } from './anonymous-user';
import { isCrossSite } from '../http/same-site';
import { VerifiedTokenCache } from './verified-cache';
import { remoteVerifier } from './verifier';

/**
 * Loads or enriches the user; `false` refuses the token (401). Either returns (sync or a promise), or, declared
 * with three parameters, calls `done` like other Passport strategies. What it throws goes to `next(err)`.
 */
export type VerifyFunction = (
  user: AnonymousUser,
  req: Request,
  done: (err: unknown, user?: Express.User | false) => void,
) => Express.User | false | void | Promise<Express.User | false>;

interface CommonOptions {
  /** Strategy name for `passport.authenticate(name)`. Default `anonymous`. */
  name?: string;
  /** `realm` of the challenge. Default `anonymous`. */
  realm?: string;
  /** Accept `access_token` in form bodies of non-GET requests. Default false. */
  tokenInBody?: boolean;
  /** Accept `access_token` in the query string. Default false: query strings end up in logs. */
  tokenInQuery?: boolean;
  /** Also require the session to be active in the store (revocation seen at once, one store read). Default false. */
  checkRevocation?: boolean;
  /** Accept the browser's cookie-bound guest (`req.anonymous`) when there is no bearer token. Default false. */
  allowCookieSession?: boolean;
  /** Scopes a cookie-authenticated guest holds. Default none. */
  cookieScopes?: string[];
  /** With no credentials at all, continue unauthenticated (`req.user` unset); a bad token is still a 401. Default false. */
  allowUnauthenticated?: boolean;
  /** Scopes every route behind this strategy requires (routes add more with `{ scope }`). */
  scope?: string | string[];
  /**
   * Verified access tokens remembered by their exact text until they expire, so a client's repeated requests cost
   * one signature check per token rather than per request. Default 10000 entries; 0 turns it off.
   */
  cacheSize?: number;
}

/** Options of `anon.strategy()`: it verifies with this app's own keys and store. */
export type LocalStrategyOptions = CommonOptions;

/** A strategy over any verifier (what `anon.strategy()` builds from this app's keys and store). */
export interface VerifierStrategyOptions extends CommonOptions {
  verifier: AccessTokenVerifier;
}

/** Verifies in a resource server that is another app: keys from the issuer's JWKS URL (cached, rotation handled by jose). */
export interface RemoteStrategyOptions extends CommonOptions {
  issuer: string;
  audience: string | string[];
  jwksUri: string;
  /** Algorithm allow-list; never taken from a token. Default `['ES256']`. */
  algorithms?: string[];
  /** Leeway in seconds. Default 5. */
  clockTolerance?: number;
  /**
   * The longest access-token lifetime the issuer mints, seconds: a token issued in the future, older than this, or
   * living longer is refused even with a good signature. Default 3600 (the most `accessTokenLifetime` allows).
   */
  maxTokenAge?: number;
  /** Seconds the issuer's JWKS is trusted before it is fetched again; a key it no longer publishes stops verifying. Default 600. */
  jwksCacheMaxAge?: number;
  /** Needed for `checkRevocation` in a remote resource server: the same store the issuer writes. */
  store?: AnonymousStore;
}

export type AnonymousStrategyOptions = RemoteStrategyOptions | VerifierStrategyOptions;

/** Options of `passport.authenticate('anonymous', { … })` this strategy reads. */
interface AuthenticateOptions {
  scope?: string | string[];
}

/**
 * Passport strategy for anonymous bearer access tokens (RFC 6750), like passport-http-bearer with every JWT
 * check pinned. Ends each request in exactly one of success, fail (a challenge), error (5xx) or pass.
 *
 * @example
 * passport.use(anon.strategy());
 * app.get('/api/cart', passport.authenticate('anonymous', { session: false, scope: 'cart:read' }), handler);
 */
export class AnonymousStrategy extends Strategy {
  name: string;
  private readonly realm: string;
  private readonly verifier: AccessTokenVerifier;
  private readonly requiredScopes: string[];
  private readonly options: CommonOptions;
  private readonly cache: VerifiedTokenCache;

  constructor(options: AnonymousStrategyOptions, private readonly verify?: VerifyFunction) {
    super();
    if (!options || typeof options !== 'object') throw new ConfigurationError('AnonymousStrategy.options', 'are required: use anon.strategy(), or { issuer, audience, jwksUri }');
    if (verify !== undefined && typeof verify !== 'function') throw new ConfigurationError('AnonymousStrategy.verify', 'must be a function');
    this.options = options;
    this.name = nonEmptyString(options.name ?? 'anonymous', 'AnonymousStrategy.name');
    this.realm = nonEmptyString(options.realm ?? 'anonymous', 'AnonymousStrategy.realm');
    if (!DESCRIPTION_CHARS.test(this.realm)) throw new ConfigurationError('AnonymousStrategy.realm', 'must be printable ASCII without quotes or backslashes');
    this.requiredScopes = scopes(options.scope, 'AnonymousStrategy.scope');
    const cacheSize = options.cacheSize ?? 10_000;
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) throw new ConfigurationError('AnonymousStrategy.cacheSize', 'must be a non-negative integer');
    scopes(options.cookieScopes, 'AnonymousStrategy.cookieScopes');
    if ('verifier' in options) {
      const verifier = options.verifier;
      if (!verifier || typeof verifier.verify !== 'function') throw new ConfigurationError('AnonymousStrategy.verifier', 'must have a verify(token) method');
      if (options.checkRevocation && typeof verifier.isActive !== 'function') {
        throw new ConfigurationError('AnonymousStrategy.checkRevocation', 'needs a verifier with isActive(claims)');
      }
      this.verifier = verifier;
    } else {
      const issuer = nonEmptyString(options.issuer, 'AnonymousStrategy.issuer');
      const audience = (Array.isArray(options.audience) ? options.audience : [options.audience]).map((a) => nonEmptyString(a, 'AnonymousStrategy.audience'));
      let jwksUri: URL;
      try {
        jwksUri = new URL(nonEmptyString(options.jwksUri, 'AnonymousStrategy.jwksUri'));
      } catch (err) {
        if (err instanceof ConfigurationError) throw err;
        throw new ConfigurationError('AnonymousStrategy.jwksUri', 'must be an absolute URL');
      }
      const algorithms = options.algorithms ?? ['ES256'];
      if (!Array.isArray(algorithms) || algorithms.length === 0 || algorithms.some((a) => !['ES256', 'EdDSA', 'RS256', 'PS256'].includes(a))) {
        throw new ConfigurationError('AnonymousStrategy.algorithms', 'must list ES256, EdDSA, RS256 or PS256');
      }
      if (options.checkRevocation && !options.store) throw new ConfigurationError('AnonymousStrategy.store', 'is required for checkRevocation in a remote resource server');
      this.verifier = remoteVerifier({
        issuer,
        audience,
        jwksUri,
        algorithms,
        clockTolerance: integerInRange(options.clockTolerance ?? 5, 'AnonymousStrategy.clockTolerance', 0, 60),
        maxTokenAge: positiveInteger(options.maxTokenAge ?? 3600, 'AnonymousStrategy.maxTokenAge'),
        jwksCacheMaxAge: positiveInteger(options.jwksCacheMaxAge ?? 600, 'AnonymousStrategy.jwksCacheMaxAge'),
        store: options.store,
      });
    }
    this.cache = new VerifiedTokenCache(cacheSize, this.verifier.clockTolerance);
  }

  override authenticate(req: Request, options: AuthenticateOptions = {}): void {
    this.run(req, options).catch((err: unknown) => this.error(err as Error));
  }

  private async run(req: Request, options: AuthenticateOptions): Promise<void> {
    const required = options.scope === undefined ? this.requiredScopes : [...this.requiredScopes, ...scopes(options.scope, 'authenticate({ scope })')];
    const extracted = extractBearerToken(req, { tokenInBody: this.options.tokenInBody === true, tokenInQuery: this.options.tokenInQuery === true });
    if (extracted.kind === 'invalid') return this.challenge(req, 'invalid_request', 400, { error: 'invalid_request', error_description: extracted.description });

    let user: AnonymousUser;
    if (extracted.kind === 'none') {
      const guest = this.options.allowCookieSession ? req.anonymous : undefined;
      if (!guest?.persisted) {
        if (this.options.allowUnauthenticated) return this.pass();
        return this.challenge(req, 'missing', 401, {});
      }
      if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method) && isCrossSite(req)) {
        return this.challenge(req, 'cross_site', 403, { error: 'invalid_request', error_description: 'Cross-site request refused' });
      }
      user = { id: guest.id, sessionId: guest.sessionId, anonymous: true, scope: this.options.cookieScopes ?? [], claims: undefined };
    } else {
      let claims = await this.fromCache(extracted.token);
      if (!claims) {
        try {
          claims = await this.verifier.verify(extracted.token);
        } catch (err) {
          if (!(err instanceof TokenError)) throw err;
          const description = err.reason === 'expired' ? 'The access token expired' : 'The access token is invalid';
          return this.challenge(req, err.reason === 'expired' ? 'expired' : 'invalid', 401, { error: 'invalid_token', error_description: description });
        }
        this.cache.set(extracted.token, claims);
      }
      if (this.options.checkRevocation && !(await this.sessionIsActive(claims))) {
        return this.challenge(req, 'revoked', 401, { error: 'invalid_token', error_description: 'The anonymous session has ended' });
      }
      user = { id: claims.sub, sessionId: claims.sid, anonymous: true, scope: claims.scope ? claims.scope.split(' ') : [], claims };
    }

    if (required.length && required.some((s) => !user.scope.includes(s))) {
      return this.challenge(req, 'insufficient_scope', 403, { error: 'insufficient_scope', error_description: 'The access token lacks a required scope', scope: required.join(' ') });
    }
    const result = this.verify ? await this.runVerify(user, req) : user; // no verify function: no extra await
    if (result === false) return this.challenge(req, 'not_accepted', 401, { error: 'invalid_token', error_description: 'The access token is not accepted' });
    this.success(result);
  }

  /** Claims of a token verified before, unless it expired or its key left the rotation since. */
  private async fromCache(token: string): Promise<AccessTokenClaims | undefined> {
    const hit = this.cache.get(token, this.verifier.now());
    if (!hit) return undefined;
    if (this.verifier.hasKey && !(await this.verifier.hasKey(hit.kid))) {
      this.cache.delete(token);
      return undefined; // verified again: refused, its key is gone
    }
    return hit.claims;
  }

  /** One store read; an outage is an error (503 upstream), never a 401 that would make clients drop their tokens. */
  private async sessionIsActive(claims: AccessTokenClaims): Promise<boolean> {
    try {
      return await this.verifier.isActive!(claims);
    } catch (err) {
      if (isStoreOutage(err) && !(err instanceof StoreUnavailableError)) throw new StoreUnavailableError('The session store is unavailable', undefined, err);
      throw err;
    }
  }

  private runVerify(user: AnonymousUser, req: Request): Promise<Express.User | false> {
    const verify = this.verify;
    if (!verify) return Promise.resolve(user as Express.User);
    if (verify.length >= 3) {
      return new Promise((resolve, reject) => {
        verify(user, req, (err, result) => (err ? reject(err) : resolve(result ?? false)));
      });
    }
    try {
      return Promise.resolve(verify(user, req, () => undefined) as Express.User | false | Promise<Express.User | false>);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * RFC 6750 failure. Passport writes the header itself only for 401; for 400 and 403 it is added when the
   * response goes out with that status, so a later strategy in a chain that succeeds leaves no stray challenge.
   */
  private challenge(req: Request, reason: AccessTokenRefusal, status: 400 | 401 | 403, params: Omit<ChallengeParams, 'realm'>): void {
    this.verifier.refused?.(reason);
    const value = bearerChallenge({ realm: this.realm, ...params });
    if (status !== 401 && req.res) challengeOnStatus(req.res, status, value);
    this.fail(value, status);
  }
}

function challengeOnStatus(res: Response, status: number, value: string): void {
  const writeHead = res.writeHead;
  res.writeHead = function writeHeadWithChallenge(this: Response, ...args: Parameters<Response['writeHead']>) {
    res.writeHead = writeHead;
    const code = typeof args[0] === 'number' ? args[0] : res.statusCode;
    if (code === status && !res.hasHeader('WWW-Authenticate')) res.setHeader('WWW-Authenticate', value);
    return writeHead.apply(this, args);
  } as Response['writeHead'];
}

function scopes(value: string | string[] | undefined, option: string): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : value.split(' ');
  for (const s of list) {
    if (typeof s !== 'string' || !SCOPE_TOKEN.test(s)) throw new ConfigurationError(option, 'must be RFC 6749 scope tokens');
  }
  return list;
}
