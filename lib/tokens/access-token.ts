import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { KeyRing } from './keys';
import type { JsonValue } from '../session/metadata';
import { checkCompact, ringAlgorithms, ringKeySelector, verifyKeyLookup, type SelectedKey } from './jwt-keys';
import { TokenError, fromJoseError } from './token-error';

export const ACCESS_TOKEN_TYP = 'at+jwt';

/** Claims of an access token (RFC 9068) for an anonymous user. */
export interface AccessTokenClaims {
  iss: string;
  /** The anonymous user id. */
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope: string;
  /** The anonymous session id. */
  sid: string;
  /** Marks the subject as anonymous: a resource server must not treat it as a registered user. */
  anonymous: true;
  [mapped: string]: JsonValue | undefined;
}

export interface AccessTokenInput {
  userId: string;
  sessionId: string;
  clientId: string;
  scope: string;
  audience: string;
  /** Epoch seconds. */
  now: number;
  expiresAt: number;
  claims: Record<string, JsonValue>;
}

/** Where verification keys come from: our own ring, or a remote JWKS (a resource server in another app). */
export interface AccessTokenKeys {
  getKey: JWTVerifyGetKey;
  /** The algorithm allow-list: never taken from the token. */
  algorithms: string[];
  /** Our own ring: the key and its algorithm chosen before jose runs (same rule as `getKey`, cheaper for jose). */
  select?: (token: string) => SelectedKey;
}

export function ringKeys(ring: KeyRing): AccessTokenKeys {
  return { getKey: verifyKeyLookup(ring), algorithms: ringAlgorithms(ring), select: ringKeySelector(ring, ACCESS_TOKEN_TYP) };
}

export interface VerifyOptions {
  issuer: string;
  audience: string[];
  clockTolerance: number;
  maxLength: number;
  /**
   * The longest lifetime the issuer mints, seconds: a token issued in the future, issued longer ago than this, or
   * living longer than this is refused even with a good signature (defence in depth if a key signs what it should not).
   */
  maxTokenAge: number;
  /** Epoch ms "now" for verification (tests freeze it). */
  now: number;
}

export async function signAccessToken(ring: KeyRing, issuer: string, input: AccessTokenInput): Promise<string> {
  const { key, kid, alg } = ring.current;
  return new SignJWT({
    ...input.claims,
    client_id: input.clientId,
    scope: input.scope,
    sid: input.sessionId,
    anonymous: true,
  })
    .setProtectedHeader({ alg, typ: ACCESS_TOKEN_TYP, kid })
    .setIssuer(issuer)
    .setSubject(input.userId)
    .setAudience(input.audience)
    .setIssuedAt(input.now)
    .setExpirationTime(input.expiresAt)
    .setJti(randomUUID())
    .sign(key);
}

/** Verifies with everything pinned: algorithm per key, `typ`, issuer, audience, required claims, clock tolerance. */
export async function verifyAccessToken(keys: AccessTokenKeys, token: string, options: VerifyOptions): Promise<AccessTokenClaims> {
  checkCompact(token, 3, options.maxLength);
  let payload: Record<string, unknown>;
  try {
    const selected = keys.select?.(token);
    ({ payload } = await jwtVerify(token, selected ? selected.key : keys.getKey, {
      algorithms: selected ? selected.algorithms : keys.algorithms,
      typ: ACCESS_TOKEN_TYP,
      issuer: options.issuer,
      audience: options.audience,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
      clockTolerance: options.clockTolerance,
      maxTokenAge: options.maxTokenAge,
      currentDate: new Date(options.now),
    }));
  } catch (err) {
    throw fromJoseError(err);
  }
  if ((payload.exp as number) - (payload.iat as number) > options.maxTokenAge) throw new TokenError('invalid', 'The token lives too long');
  if (payload.anonymous !== true || typeof payload.sid !== 'string' || typeof payload.sub !== 'string') {
    throw new TokenError('invalid', 'The token is not an anonymous access token');
  }
  if (payload.scope === undefined) payload.scope = ''; // jose's payload is a fresh object of ours: no copy
  else if (typeof payload.scope !== 'string') throw new TokenError('invalid', 'The token is invalid');
  return payload as AccessTokenClaims;
}
