import { createHash, createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes, KeyObject, type JsonWebKey } from 'node:crypto';
import type { JWK } from 'jose';
import { ConfigurationError } from '../errors';

/** A private signing key: a private JWK, a PKCS#8 PEM string, `{ pem, alg }`, or a Node `KeyObject`. */
export type PrivateKeyInput = JWK | string | { pem: string; alg?: AsymmetricAlgorithm } | KeyObject;
/** Shared secret for session tokens: base64url text or raw bytes, at least 32 random bytes. */
export interface SecretInput {
  secret: string | Uint8Array;
}
export type AsymmetricAlgorithm = 'ES256' | 'EdDSA' | 'RS256' | 'PS256';

export interface KeysOption {
  /** Access-token signing keys (asymmetric). The first signs; all verify (rotation). Default: ephemeral ES256. */
  accessToken?: PrivateKeyInput | PrivateKeyInput[];
  /**
   * Session-token keys, never the access-token ones. `{ secret }` (HS256 for JWS, `dir`+`A256GCM` for JWE) or
   * private keys (JWS only). Default: an ephemeral secret.
   */
  sessionToken?: PrivateKeyInput | SecretInput | Array<PrivateKeyInput | SecretInput>;
  /** `jws` (signed, readable by the client) or `jwe` (encrypted, `dir` + `A256GCM`). Default `jws`. */
  sessionTokenFormat?: 'jws' | 'jwe';
}

export interface ResolvedKey {
  kid: string;
  alg: string;
  /** Signs or encrypts. */
  key: KeyObject;
  /** Verifies or decrypts: the public key, or the secret itself. */
  verifyKey: KeyObject;
  /** Public JWK for the JWKS (asymmetric keys only). */
  publicJwk?: JWK;
}

export interface KeyRing {
  /** The first key: the one that signs. */
  current: ResolvedKey;
  byKid: ReadonlyMap<string, ResolvedKey>;
  /** True when the keys were generated at start-up (nothing configured). */
  ephemeral: boolean;
}

const RSA_MIN_BITS = 2048;
const SECRET_MIN_BYTES = 32;

export function resolveAccessKeys(input: KeysOption['accessToken']): KeyRing {
  if (input === undefined) return ring([fromKeyObject(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, undefined, 'keys.accessToken')], true);
  const list = Array.isArray(input) ? input : [input];
  return ring(list.map((item, i) => asymmetric(item, `keys.accessToken[${i}]`)), false);
}

export function resolveSessionKeys(input: KeysOption['sessionToken'], format: 'jws' | 'jwe'): KeyRing {
  if (input === undefined) return ring([secret(randomBytes(32), format, 'keys.sessionToken')], true);
  const list = Array.isArray(input) ? input : [input];
  return ring(
    list.map((item, i) => {
      const option = `keys.sessionToken[${i}]`;
      if (isSecretInput(item)) return secret(item.secret, format, option);
      if (format === 'jwe') throw new ConfigurationError(option, 'JWE session tokens use `dir` + A256GCM: pass { secret } (32 bytes)');
      return asymmetric(item, option);
    }),
    false,
  );
}

function ring(keys: ResolvedKey[], ephemeral: boolean): KeyRing {
  if (keys.length === 0) throw new ConfigurationError('keys', 'a key list must not be empty');
  const byKid = new Map<string, ResolvedKey>();
  const family = keyFamily(keys[0]);
  keys.forEach((key, i) => {
    if (byKid.has(key.kid)) throw new ConfigurationError(`keys[${i}]`, `two keys share the kid ${key.kid}`);
    if (keyFamily(key) !== family) {
      throw new ConfigurationError(`keys[${i}]`, `mixes key families (${family} and ${keyFamily(key)}) in one verifier`);
    }
    byKid.set(key.kid, key);
  });
  return { current: keys[0], byKid, ephemeral };
}

function keyFamily(key: ResolvedKey): string {
  return key.alg.slice(0, 2) === 'PS' ? 'RS' : key.alg.slice(0, 2);
}

function asymmetric(input: PrivateKeyInput, option: string): ResolvedKey {
  if (typeof input === 'string') {
    if (!input.includes('-----BEGIN')) {
      throw new ConfigurationError(option, 'a string must be a PEM private key (PKCS#8); for a shared secret pass { secret }');
    }
    return fromKeyObject(privateKey(() => createPrivateKey(input), option), undefined, option);
  }
  if (input instanceof KeyObject) return fromKeyObject(input, undefined, option);
  if (input && typeof input === 'object' && 'pem' in input && typeof input.pem === 'string') {
    return fromKeyObject(privateKey(() => createPrivateKey(input.pem), option), input.alg, option);
  }
  if (input && typeof input === 'object' && 'kty' in input) {
    const jwk = input as JWK;
    if (jwk.kty === 'oct') throw new ConfigurationError(option, 'access tokens need an asymmetric key, not a shared secret');
    if (jwk.d === undefined) throw new ConfigurationError(option, 'is a public JWK; a private key is needed to sign');
    return fromKeyObject(privateKey(() => createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }), option), jwk.alg as AsymmetricAlgorithm | undefined, option);
  }
  throw new ConfigurationError(option, 'must be a private JWK, a PKCS#8 PEM string, { pem, alg } or a KeyObject');
}

function privateKey(make: () => KeyObject, option: string): KeyObject {
  try {
    return make();
  } catch (err) {
    throw new ConfigurationError(option, `is not a usable private key (${(err as Error).message})`);
  }
}

function fromKeyObject(key: KeyObject, requested: string | undefined, option: string): ResolvedKey {
  if (key.type !== 'private') throw new ConfigurationError(option, 'must be a private key');
  const alg = algorithmFor(key, requested, option);
  const jwk = key.export({ format: 'jwk' }) as JWK;
  const publicJwk = publicPart(jwk);
  const kid = thumbprint(publicJwk);
  return { kid, alg, key, verifyKey: createPublicKey(key), publicJwk: { ...publicJwk, kid, alg, use: 'sig' } };
}

function algorithmFor(key: KeyObject, requested: string | undefined, option: string): string {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  let alg: string | undefined;
  if (type === 'ec' && details.namedCurve === 'prime256v1') alg = 'ES256';
  else if (type === 'ed25519') alg = 'EdDSA';
  else if (type === 'rsa') {
    if ((details.modulusLength ?? 0) < RSA_MIN_BITS) throw new ConfigurationError(option, `RSA keys need at least ${RSA_MIN_BITS} bits`);
    alg = requested === 'PS256' ? 'PS256' : 'RS256';
  }
  if (!alg) throw new ConfigurationError(option, `key type ${type} is not allowed: use P-256 (ES256), Ed25519 (EdDSA) or RSA (RS256, PS256)`);
  if (requested !== undefined && requested !== alg) {
    throw new ConfigurationError(option, `alg ${requested} does not fit a ${type} key (expected ${alg})`);
  }
  return alg;
}

function secret(value: unknown, format: 'jws' | 'jwe', option: string): ResolvedKey {
  let bytes: Buffer;
  if (typeof value === 'string') bytes = Buffer.from(value, 'base64url');
  else if (value instanceof Uint8Array) bytes = Buffer.from(value);
  else throw new ConfigurationError(option, 'secret must be base64url text or bytes');
  if (bytes.length < SECRET_MIN_BYTES) {
    throw new ConfigurationError(option, `secret is ${bytes.length} bytes; at least ${SECRET_MIN_BYTES} random bytes are needed (npx express-anonymous-session keygen)`);
  }
  if (new Set(bytes).size < 12) throw new ConfigurationError(option, 'secret looks weak (few distinct bytes): use random bytes');
  if (format === 'jwe' && bytes.length !== 32) throw new ConfigurationError(option, 'A256GCM needs a secret of exactly 32 bytes');
  const jwk = { kty: 'oct', k: bytes.toString('base64url') };
  const key = createSecretKey(bytes);
  return { kid: thumbprint(jwk), alg: format === 'jwe' ? 'dir' : 'HS256', key, verifyKey: key };
}

function isSecretInput(value: unknown): value is SecretInput {
  return typeof value === 'object' && value !== null && 'secret' in value;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function publicPart(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  return copy as JWK;
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url): the required members in lexicographic order. */
export function thumbprint(jwk: JWK): string {
  const members: Record<string, string[]> = { EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'], RSA: ['e', 'kty', 'n'], oct: ['k', 'kty'] };
  const required = members[jwk.kty as string];
  const canonical = JSON.stringify(Object.fromEntries(required.map((m) => [m, (jwk as Record<string, unknown>)[m]])));
  return createHash('sha256').update(canonical).digest('base64url');
}
