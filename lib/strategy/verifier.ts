import { createRemoteJWKSet } from 'jose';
import type { AccessTokenClaims } from '../tokens/access-token';
import type { AnonymousStore } from '../store/types';
import type { AccessTokenRefusal } from '../metrics/instrumentation';
import { verifyAccessToken } from '../tokens/access-token';
import { isActive } from '../session/record';

/**
 * What the strategy verifies bearer tokens with. `anon.strategy()` passes this app's own (its keys and store); a
 * resource server in another app gets one from `{ issuer, audience, jwksUri }`.
 */
export interface AccessTokenVerifier {
  /** The verified claims; rejects with a `TokenError` for a token to refuse, with anything else for an outage. */
  verify(token: string): Promise<AccessTokenClaims>;
  /** Whether the token's session is still active (revocation seen at once); rejects on a store outage. */
  isActive?(claims: AccessTokenClaims): Promise<boolean>;
  /**
   * Whether the key `kid` still verifies (configured, or still published): a token the cache remembers is refused
   * once its key is taken out of rotation, not when it expires.
   */
  hasKey?(kid: string): boolean | Promise<boolean>;
  /** Leeway in seconds for `exp`, also used by the verified-token cache. */
  readonly clockTolerance: number;
  /** Epoch ms. */
  now(): number;
  /** Told why each refused request was refused (`anon.strategy()` counts them in `anonymous_session.access_tokens.refused`). */
  refused?(reason: AccessTokenRefusal): void;
}

export interface RemoteVerifierOptions {
  issuer: string;
  audience: string[];
  jwksUri: URL;
  algorithms: string[];
  clockTolerance: number;
  maxTokenAge: number;
  /** Seconds the JWKS is trusted before it is fetched again. */
  jwksCacheMaxAge: number;
  store: AnonymousStore | undefined;
}

/** A verifier over the issuer's published JWKS (jose's remote key set: cached, refetched on an unknown `kid`). */
export function remoteVerifier(options: RemoteVerifierOptions): AccessTokenVerifier {
  const jwks = createRemoteJWKSet(options.jwksUri, { cacheMaxAge: options.jwksCacheMaxAge * 1000 });
  const keys = { getKey: jwks, algorithms: options.algorithms };
  const { store } = options;
  let published: Set<string> | undefined;
  let refreshing: Promise<void> | undefined;
  const refresh = async () => {
    try {
      if (!jwks.fresh) await jwks.reload();
      published = new Set((jwks.jwks()?.keys ?? []).map((k) => k.kid).filter((kid): kid is string => kid !== undefined));
    } catch {
      // The issuer is unreachable: tokens verified earlier stay good until it answers (their signatures were checked).
    }
  };
  // Concurrent cache hits share one refresh.
  const refreshOnce = () => (refreshing ??= refresh().finally(() => (refreshing = undefined)));
  return {
    clockTolerance: options.clockTolerance,
    now: Date.now,
    verify: (token) =>
      verifyAccessToken(keys, token, {
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: options.clockTolerance,
        maxLength: 16384,
        maxTokenAge: options.maxTokenAge,
        now: Date.now(),
      }),
    isActive: store && (async (claims) => sessionIsActive(store, claims, Date.now())),
    async hasKey(kid) {
      if (!jwks.fresh || published === undefined) await refreshOnce();
      return published === undefined || published.has(kid);
    },
  };
}

/** One store read: the session named by the token is active and still belongs to the token's subject. */
export async function sessionIsActive(store: AnonymousStore, claims: AccessTokenClaims, now: number): Promise<boolean> {
  const record = await store.get(claims.sid);
  return isActive(record, now) && record.userId === claims.sub;
}
