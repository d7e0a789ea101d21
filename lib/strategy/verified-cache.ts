import type { AccessTokenClaims } from '../tokens/access-token';
import { deepFreeze } from '../session/metadata';

/** Tokens longer than this are verified every time: the cache's memory stays bounded (entries × this). */
const MAX_CACHED_TOKEN_LENGTH = 2048;

export interface CachedToken {
  claims: AccessTokenClaims;
  /** The key that signed it: once that key is no longer configured or published, the entry is dropped. */
  kid: string;
}

/**
 * Access tokens already verified, by their exact text, until they expire. A client sends the same access token with
 * every request for its lifetime; re-checking the signature of identical bytes gives the identical answer, so
 * only the time-dependent check (`exp`) and the key's presence are repeated on a hit. Only successes are stored
 * (a flood of bad tokens cannot fill it); least recently used entries go first.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, CachedToken>();

  constructor(
    private readonly max: number,
    private readonly clockTolerance: number,
  ) {}

  get(token: string, nowMs: number): CachedToken | undefined {
    if (this.max === 0) return undefined; // off: not even the Map lookup, which hashes the whole token
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    this.entries.delete(token);
    if (entry.claims.exp * 1000 + this.clockTolerance * 1000 <= nowMs) return undefined; // expired: verify (and fail) again
    this.entries.set(token, entry);
    return entry;
  }

  set(token: string, claims: AccessTokenClaims): void {
    if (this.max === 0 || token.length > MAX_CACHED_TOKEN_LENGTH) return;
    const kid = headerKid(token);
    if (kid === undefined) return;
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(token, { claims: deepFreeze(claims), kid }); // shared by every request that presents this token
  }

  delete(token: string): void {
    this.entries.delete(token);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The `kid` of a token that already verified (its header is well-formed JSON). */
function headerKid(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}
