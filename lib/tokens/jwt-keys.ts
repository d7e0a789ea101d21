import type { KeyObject } from 'node:crypto';
import type { JWEHeaderParameters, JWSHeaderParameters, JWTDecryptGetKey, JWTVerifyGetKey } from 'jose';
import type { KeyRing, ResolvedKey } from './keys';
import { TokenError } from './token-error';

/**
 * The key for a token header from our own ring: chosen by `kid` among configured keys only, and the header's `alg`
 * must be that key's algorithm. `jwk`, `jku`, `x5u`, `x5c` in a header are never consulted.
 */
function keyFor(ring: KeyRing, header: { kid?: unknown; alg?: unknown; zip?: unknown }): ResolvedKey {
  // A compressed JWE is refused before any decryption work.
  if (header.zip !== undefined) throw new TokenError('invalid', 'The token is invalid');
  const key = typeof header.kid === 'string' ? ring.byKid.get(header.kid) : undefined;
  if (!key || header.alg !== key.alg) throw new TokenError('invalid', 'The token is invalid');
  return key;
}

/** jose's verification key callback over a ring. */
export function verifyKeyLookup(ring: KeyRing): JWTVerifyGetKey {
  return (header: JWSHeaderParameters) => keyFor(ring, header).verifyKey;
}

/** jose's decryption key callback over a ring. */
export function decryptKeyLookup(ring: KeyRing): JWTDecryptGetKey {
  return (header: JWEHeaderParameters) => keyFor(ring, header).verifyKey;
}

/** A verification key with its one-algorithm allow-list, as handed to jose. */
export interface SelectedKey {
  key: KeyObject;
  algorithms: string[];
}

/**
 * The rule of `keyFor`, applied to a compact JWS before jose runs, so jose gets a `KeyObject` and a one-algorithm
 * allow-list instead of a key callback (the callback form costs an extra await and copies per verification:
 * bench/README.md, case 4). jose then parses the same header again and enforces `alg` against that list, `crit`,
 * `b64` and `typ` as before. Headers exactly as this library signs them (`{"alg","typ","kid"}` of a configured key)
 * are recognised by their text; any other header is decoded and judged by the same rule. Call after `checkCompact`.
 */
export function ringKeySelector(ring: KeyRing, typ: string): (token: string) => SelectedKey {
  const selected = new Map<ResolvedKey, SelectedKey>();
  const signedHeaders = new Map<string, SelectedKey>();
  for (const key of ring.byKid.values()) {
    const entry = { key: key.verifyKey, algorithms: [key.alg] };
    selected.set(key, entry);
    signedHeaders.set(Buffer.from(JSON.stringify({ alg: key.alg, typ, kid: key.kid })).toString('base64url'), entry);
  }
  return (token) => {
    const encoded = token.slice(0, token.indexOf('.'));
    const known = signedHeaders.get(encoded);
    if (known) return known;
    let header: unknown;
    try {
      header = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    } catch {
      throw new TokenError('invalid', 'The token is invalid');
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new TokenError('invalid', 'The token is invalid');
    return selected.get(keyFor(ring, header))!;
  };
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
  // One token, one spelling: a segment whose last character carries bits past the end decodes to the same bytes as
  // its canonical form, so a cache or a denylist keyed on the text could be sidestepped.
  let start = 0;
  for (let end = token.indexOf('.'); ; end = token.indexOf('.', start)) {
    if (!canonicalSegment(token, start, end < 0 ? token.length : end)) throw new TokenError('malformed', 'The token is malformed');
    if (end < 0) break;
    start = end + 1;
  }
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Whether `token[start, end)` is canonical unpadded base64url: no length of 1 mod 4, no stray bits in its last character. */
function canonicalSegment(token: string, start: number, end: number): boolean {
  const rest = (end - start) % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = BASE64URL.indexOf(token[end - 1]);
  return (last & (rest === 2 ? 0b1111 : 0b11)) === 0;
}
