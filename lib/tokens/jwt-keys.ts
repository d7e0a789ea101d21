import type { KeyObject } from 'node:crypto';
import type { JWTHeaderParameters, JWEHeaderParameters, FlattenedJWSInput, FlattenedJWE } from 'jose';
import type { KeyRing } from '../keys';
import { TokenError } from './token-error';

/**
 * jose's key callback over our own key ring: the key is chosen by `kid` among configured keys only, and the
 * header's `alg` must be that key's algorithm. `jwk`, `jku`, `x5u`, `x5c` in a header are never consulted.
 */
export function keyLookup(ring: KeyRing) {
  return (header: JWTHeaderParameters | JWEHeaderParameters, _token?: FlattenedJWSInput | FlattenedJWE): KeyObject => {
    // A compressed JWE is refused before any decryption work.
    if ((header as { zip?: unknown }).zip !== undefined) throw new TokenError('invalid', 'The token is invalid');
    const key = typeof header.kid === 'string' ? ring.byKid.get(header.kid) : undefined;
    if (!key || header.alg !== key.alg) throw new TokenError('invalid', 'The token is invalid');
    return key.verifyKey;
  };
}

/** Cheap shape check before any parsing or crypto: bounded length, compact serialization characters only. */
export function checkCompact(token: string, parts: 3 | 5, maxLength: number): void {
  if (token.length > maxLength) throw new TokenError('malformed', 'The token is too long');
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*)+$/.test(token) || token.split('.').length !== parts) {
    throw new TokenError('malformed', 'The token is malformed');
  }
}
