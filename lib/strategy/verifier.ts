import { createRemoteJWKSet } from 'jose';
import type { AccessTokenClaims } from '../tokens/access-token';
import type { AnonymousStore } from '../store/types';
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
  /** Leeway in seconds for `exp`, also used by the verified-token cache. */
  readonly clockTolerance: number;
  /** Epoch ms. */
  now(): number;
}

export interface RemoteVerifierOptions {
  issuer: string;
  audience: string[];
  jwksUri: URL;
  algorithms: string[];
  clockTolerance: number;
  store: AnonymousStore | undefined;
}

/** A verifier over the issuer's published JWKS (jose's remote key set: cached, refetched on an unknown `kid`). */
export function remoteVerifier(options: RemoteVerifierOptions): AccessTokenVerifier {
  const keys = { getKey: createRemoteJWKSet(options.jwksUri), algorithms: options.algorithms };
  const { store } = options;
  return {
    clockTolerance: options.clockTolerance,
    now: Date.now,
    verify: (token) =>
      verifyAccessToken(keys, token, { issuer: options.issuer, audience: options.audience, clockTolerance: options.clockTolerance, maxLength: 16384, now: Date.now() }),
    isActive: store && (async (claims) => sessionIsActive(store, claims, Date.now())),
  };
}

/** One store read: the session named by the token is active and still belongs to the token's subject. */
export async function sessionIsActive(store: AnonymousStore, claims: AccessTokenClaims, now: number): Promise<boolean> {
  const record = await store.get(claims.sid);
  return isActive(record, now) && record.userId === claims.sub;
}
