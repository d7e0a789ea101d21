import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { resolveAccessKeys } from '../../lib/tokens/keys';
import { verifyKeyLookup, ringKeySelector } from '../../lib/tokens/jwt-keys';
import { ACCESS_TOKEN_TYP } from '../../lib/tokens/access-token';
import { TokenError } from '../../lib/tokens/token-error';

const pem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const ring = resolveAccessKeys([pem(), pem()]);
const select = ringKeySelector(ring, ACCESS_TOKEN_TYP);
const [first, second] = [...ring.byKid.values()];
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const withHeader = (header: unknown) => `${b64(header)}.${b64({ sub: 'x' })}.c2ln`;
const invalid = new TokenError('invalid', 'The token is invalid');

describe('choosing the verification key before jose runs (ringKeySelector)', () => {
  it('picks each configured key, with its algorithm as the only one allowed, for the header this library signs', async () => {
    for (const key of [first, second]) {
      const token = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: key.alg, typ: ACCESS_TOKEN_TYP, kid: key.kid }).sign(key.key);
      expect(select(token)).toEqual({ key: key.verifyKey, algorithms: [key.alg] });
    }
  });

  it('judges any other header by the same rule as the key callback: kid among configured keys, alg of that key', () => {
    // the same header spelled differently (order, spaces, extra members) is decoded and gives the same key
    expect(select(withHeader(`{ "kid": "${second.kid}", "typ": "at+jwt", "alg": "${second.alg}", "x": 1 }`)).key).toBe(second.verifyKey);
    // header-supplied keys are never consulted: the key is the configured one named by kid
    expect(select(withHeader({ alg: first.alg, kid: first.kid, jwk: { kty: 'EC' }, jku: 'http://attacker' })).key).toBe(first.verifyKey);
    const refused = [
      { alg: first.alg, kid: 'unknown' },
      { alg: first.alg },
      { alg: 'HS256', kid: first.kid },
      { alg: 'none', kid: first.kid },
      { alg: first.alg, kid: first.kid, zip: 'DEF' },
      { alg: first.alg, kid: 'constructor' },
      { alg: first.alg, kid: '__proto__' },
      [first.alg, first.kid],
      'not json',
      'null',
    ];
    const lookup = verifyKeyLookup(ring);
    for (const header of refused) {
      expect(() => select(withHeader(header))).toThrow(invalid);
      if (typeof header === 'object' && !Array.isArray(header)) expect(() => lookup(header as never, undefined as never)).toThrow(invalid);
    }
  });
});
