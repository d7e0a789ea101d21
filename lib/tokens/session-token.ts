import { randomUUID } from 'node:crypto';
import { EncryptJWT, SignJWT, jwtDecrypt, jwtVerify, type JWTPayload } from 'jose';
import type { KeyRing } from './keys';
import type { Metadata } from '../session/metadata';
import { checkCompact, decryptKeyLookup, ringAlgorithms, verifyKeyLookup } from './jwt-keys';
import { TokenError, fromJoseError } from './token-error';

/** Its own `typ`: a session token can never pass as an access token (`at+jwt`), nor the reverse. */
export const SESSION_TOKEN_TYP = 'anon-session+jwt';

export interface SessionTokenClaims {
  user_id: string;
  session_id: string;
  /** Epoch seconds. */
  created_at: number;
  metadata: Metadata;
  /** The client the session was created for; renewal must come from the same client. */
  client_id: string;
  /** The session's token generation when minted (rotation); tokens minted before rotation existed have none: 0. */
  gen?: number;
}

export interface SessionTokenConfig {
  ring: KeyRing;
  format: 'jws' | 'jwe';
  issuer: string;
  /** The session-token audience: the token endpoint, never an API audience. */
  audience: string;
  clockTolerance: number;
  maxLength: number;
  /** The session's absolute lifetime, seconds: no genuine session token is older or lives longer. */
  maxTokenAge: number;
}

export async function mintSessionToken(
  config: SessionTokenConfig,
  claims: SessionTokenClaims,
  now: number,
  expiresAt: number,
): Promise<string> {
  const { key, kid, alg } = config.ring.current;
  const payload = { ...claims } as unknown as JWTPayload;
  if (config.format === 'jwe') {
    return new EncryptJWT(payload)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: SESSION_TOKEN_TYP, kid })
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setIssuedAt(now)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID())
      .encrypt(key);
  }
  return new SignJWT(payload)
    .setProtectedHeader({ alg, typ: SESSION_TOKEN_TYP, kid })
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setIssuedAt(now)
    .setExpirationTime(expiresAt)
    .setJti(randomUUID())
    .sign(key);
}

/** Verifies (or decrypts) with every option pinned; the store check (active session) is the caller's. */
export async function readSessionToken(config: SessionTokenConfig, token: string, nowMs: number): Promise<SessionTokenClaims> {
  checkCompact(token, config.format === 'jwe' ? 5 : 3, config.maxLength);
  const common = {
    typ: SESSION_TOKEN_TYP,
    issuer: config.issuer,
    audience: config.audience,
    requiredClaims: ['iss', 'aud', 'exp', 'iat', 'user_id', 'session_id', 'client_id'],
    clockTolerance: config.clockTolerance,
    maxTokenAge: config.maxTokenAge,
    currentDate: new Date(nowMs),
  };
  let payload: JWTPayload;
  try {
    if (config.format === 'jwe') {
      ({ payload } = await jwtDecrypt(token, decryptKeyLookup(config.ring), {
        ...common,
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
        // No compressed payloads (a decompression bomb); PBES2 (an iteration bomb) is excluded by the list above.
        maxDecompressedLength: 0,
      }));
    } else {
      ({ payload } = await jwtVerify(token, verifyKeyLookup(config.ring), { ...common, algorithms: ringAlgorithms(config.ring) }));
    }
  } catch (err) {
    throw fromJoseError(err);
  }
  if ((payload.exp as number) - (payload.iat as number) > config.maxTokenAge) throw new TokenError('invalid', 'The session token is invalid');
  if (typeof payload.user_id !== 'string' || typeof payload.session_id !== 'string' || typeof payload.client_id !== 'string') {
    throw new TokenError('invalid', 'The session token is invalid');
  }
  if (payload.gen !== undefined && !(Number.isSafeInteger(payload.gen) && (payload.gen as number) >= 0)) throw new TokenError('invalid', 'The session token is invalid');
  return payload as unknown as SessionTokenClaims;
}
