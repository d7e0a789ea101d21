import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import type { AsymmetricAlgorithm, KeysOption } from '../tokens/keys';
import { thumbprint } from '../tokens/keys';

export interface KeygenOptions {
  /** Access-token algorithm. Default ES256. */
  alg?: AsymmetricAlgorithm;
  /** Session-token format. Default jws. */
  sessionTokenFormat?: 'jws' | 'jwe';
}

/**
 * A fresh production key set: a private JWK for access tokens and a 256-bit secret for session tokens.
 * Keep it in your secret manager and pass it as the `keys` option; JSON-serializable as is.
 *
 * @example
 * // npx express-anonymous-session keygen > keys.json
 * anonymousSessions({ issuer, audience, keys: JSON.parse(process.env.ANON_KEYS!) });
 */
export function keygen(options: KeygenOptions = {}): KeysOption & { accessToken: JWK[] } {
  const alg = options.alg ?? 'ES256';
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 3072 });
  const jwk = pair.privateKey.export({ format: 'jwk' }) as JWK;
  return {
    accessToken: [{ ...jwk, alg, kid: thumbprint(jwk) }],
    sessionToken: [{ secret: randomBytes(32).toString('base64url') }],
    sessionTokenFormat: options.sessionTokenFormat ?? 'jws',
  };
}
