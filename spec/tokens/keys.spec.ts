import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { anonymousSessions, keygen, type KeysOption } from '../../lib';
import { shouldRefuseOption } from '../support/config';
import { thumbprint } from '../../lib/tokens/keys';
import { internals } from '../support/internals';

const base = { issuer: 'https://shop.test', audience: 'https://api.shop.test' };
const secret = () => ({ secret: randomBytes(32).toString('base64url') });
const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

const refused = (keys: KeysOption, option: string, message: RegExp) => shouldRefuseOption(() => anonymousSessions({ ...base, keys }), option, message);

describe('keys: start-up refuses bad configuration, naming the option', () => {
  it('a short or weak HMAC secret', () => {
    refused({ accessToken: ec(), sessionToken: { secret: randomBytes(16).toString('base64url') } }, 'keys.sessionToken[0]', /16 bytes; at least 32/);
    refused({ accessToken: ec(), sessionToken: { secret: Buffer.alloc(40, 'a').toString('base64url') } }, 'keys.sessionToken[0]', /weak/);
  });

  it('a string that is not a PEM private key used as an asymmetric key', () => {
    refused({ accessToken: 'my-super-secret-password-123456789012345', sessionToken: secret() }, 'keys.accessToken[0]', /PEM private key/);
    refused({ accessToken: ec(), sessionToken: 'some string' }, 'keys.sessionToken[0]', /PEM private key/);
  });

  it('a public key, a symmetric JWK, or a weak RSA key where a private signing key belongs', () => {
    const jwk = ec().export({ format: 'jwk' });
    const { d: _d, ...publicJwk } = jwk;
    refused({ accessToken: publicJwk as never, sessionToken: secret() }, 'keys.accessToken[0]', /public JWK/);
    refused({ accessToken: { kty: 'oct', k: randomBytes(32).toString('base64url') }, sessionToken: secret() }, 'keys.accessToken[0]', /asymmetric/);
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    refused({ accessToken: rsa1024, sessionToken: secret() }, 'keys.accessToken[0]', /2048 bits/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    refused({ accessToken: p384, sessionToken: secret() }, 'keys.accessToken[0]', /not allowed/);
  });

  it('algorithm families mixed in one verifier, and two keys with one kid', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    refused({ accessToken: [ec(), rsa], sessionToken: secret() }, 'keys[1]', /mixes key families/);
    const key = ec();
    refused({ accessToken: [key, key], sessionToken: secret() }, 'keys[1]', /share the kid/);
  });

  it('an alg that does not fit its key', () => {
    refused({ accessToken: { pem: ec().export({ format: 'pem', type: 'pkcs8' }).toString(), alg: 'RS256' }, sessionToken: secret() }, 'keys.accessToken[0]', /does not fit/);
  });

  it('JWE session tokens with a non-secret key or a secret of the wrong size', () => {
    refused({ accessToken: ec(), sessionToken: ec(), sessionTokenFormat: 'jwe' }, 'keys.sessionToken[0]', /dir/);
    refused({ accessToken: ec(), sessionToken: { secret: randomBytes(48).toString('base64url') }, sessionTokenFormat: 'jwe' }, 'keys.sessionToken[0]', /exactly 32/);
  });

  it('accepts EdDSA, RS256 and PS256, with kid = RFC 7638 thumbprint', () => {
    for (const [key, alg] of [
      [generateKeyPairSync('ed25519').privateKey, 'EdDSA'],
      [{ pem: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), alg: 'PS256' as const }, 'PS256'],
    ] as const) {
      const anon = anonymousSessions({ ...base, keys: { accessToken: key, sessionToken: secret() } });
      const signing = internals(anon).tokens.options.accessKeys.current;
      expect(signing.alg).toBe(alg);
      expect(signing.kid).toBe(thumbprint(signing.publicJwk!));
    }
  });
});

describe('keygen', () => {
  it('makes a key set anonymousSessions() accepts, without warnings', () => {
    const warnings: string[] = [];
    for (const options of [{}, { alg: 'EdDSA' as const, sessionTokenFormat: 'jwe' as const }]) {
      const keys = JSON.parse(JSON.stringify(keygen(options))) as KeysOption;
      const anon = anonymousSessions({ ...base, keys, logger: { warn: (m) => warnings.push(m) } });
      expect(internals(anon).tokens.options.accessKeys.ephemeral).toBe(false);
    }
    expect(warnings).toEqual([]);
  });

  it('warns once about ephemeral keys when none are configured', () => {
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m) };
    anonymousSessions({ ...base, logger });
    anonymousSessions({ ...base, logger });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/keygen/);
  });
});
