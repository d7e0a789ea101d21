import type { AccessTokenClaims } from '../tokens/access-token';
import { deepFreeze } from '../metadata';

/** Tokens longer than this are verified every time: the cache's memory stays bounded (entries × this). */
const MAX_CACHED_TOKEN_LENGTH = 2048;

/**
 * Access tokens already verified, by their exact text, until they expire. A client sends the same access token with
 * every request for its lifetime; re-checking the signature of identical bytes gives the identical answer, so
 * only the time-dependent check (`exp`) is repeated on a hit. Only successes are stored (a flood of bad tokens
 * cannot fill it); least recently used entries go first.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, AccessTokenClaims>();

  constructor(
    private readonly max: number,
    private readonly clockTolerance: number,
  ) {}

  get(token: string, nowMs: number): AccessTokenClaims | undefined {
    if (this.max === 0) return undefined; // off: not even the Map lookup, which hashes the whole token
    const claims = this.entries.get(token);
    if (!claims) return undefined;
    this.entries.delete(token);
    if (claims.exp * 1000 + this.clockTolerance * 1000 <= nowMs) return undefined; // expired: verify (and fail) again
    this.entries.set(token, claims);
    return claims;
  }

  set(token: string, claims: AccessTokenClaims): void {
    if (this.max === 0 || token.length > MAX_CACHED_TOKEN_LENGTH) return;
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(token, deepFreeze(claims)); // shared by every request that presents this token
  }

  get size(): number {
    return this.entries.size;
  }
}
