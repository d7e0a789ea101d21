import type { KeyObject } from 'node:crypto';
import type { JWEHeaderParameters, JWSHeaderParameters, JWTDecryptGetKey, JWTVerifyGetKey } from 'jose';
import type { KeyRing } from './keys';
import { TokenError } from './token-error';

/**
 * The key for a token header from our own ring: chosen by `kid` among configured keys only, and the header's `alg`
 * must be that key's algorithm. `jwk`, `jku`, `x5u`, `x5c` in a header are never consulted.
 */
function keyFor(ring: KeyRing, header: JWSHeaderParameters | JWEHeaderParameters): KeyObject {
  // A compressed JWE is refused before any decryption work.
  if ((header as { zip?: unknown }).zip !== undefined) throw new TokenError('invalid', 'The token is invalid');
  const key = typeof header.kid === 'string' ? ring.byKid.get(header.kid) : undefined;
  if (!key || header.alg !== key.alg) throw new TokenError('invalid', 'The token is invalid');
  return key.verifyKey;
}

/** jose's verification key callback over a ring. */
export function verifyKeyLookup(ring: KeyRing): JWTVerifyGetKey {
  return (header) => keyFor(ring, header);
}

/** jose's decryption key callback over a ring. */
export function decryptKeyLookup(ring: KeyRing): JWTDecryptGetKey {
  return (header) => keyFor(ring, header);
}

/** The algorithm allow-list of a ring: each configured key's own algorithm, never one taken from a token. */
export function ringAlgorithms(ring: KeyRing): string[] {
  return [...new Set([...ring.byKid.values()].map((k) => k.alg))];
}

/** Cheap shape check before any parsing or crypto: bounded length, compact serialization characters only. */
export function checkCompact(token: string, parts: 3 | 5, maxLength: number): void {
  if (token.length > maxLength) throw new TokenError('malformed', 'The token is too long');
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*)+$/.test(token) || token.split('.').length !== parts) {
    throw new TokenError('malformed', 'The token is malformed');
  }
}
