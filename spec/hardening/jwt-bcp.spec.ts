import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { CompactEncrypt, CompactSign, SignJWT, exportJWK, type JWK } from 'jose';
import request from 'supertest';
import type { Express } from 'express';
import { anonymousSessions, type AnonymousSessions } from '../../lib';
import { verifyAccessToken, ringKeys } from '../../lib/tokens/access-token';
import { TokenError } from '../../lib/tokens/token-error';
import { ISSUER, AUDIENCE, buildApp } from '../support/app';
import { ACCESS_KEY, TEST_KEYS } from '../support/keys';
import { runStrategy } from '../support/strategy';
import { shouldBeOAuthError } from '../support/oauth';
import { internals, issueDirect } from '../support/internals';

/** RFC 8725 (JWT BCP), one test per attack. */
const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS });
const kid = internals(anon).tokens.options.accessKeys.current.kid;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

async function validClaims() {
  const record = await internals(anon).sessions.create();
  const t = await issueDirect(anon, record, '', AUDIENCE);
  return { token: t.access_token, payload: JSON.parse(Buffer.from(t.access_token.split('.')[1], 'base64url').toString()) };
}

async function refusedAsBearer(token: string, strategyAnon: AnonymousSessions = anon): Promise<void> {
  const outcome = await runStrategy(strategyAnon.strategy(), { headers: { authorization: `Bearer ${token}` } });
  expect(outcome).toMatchObject({ kind: 'fail', status: 401 });
  expect((outcome as { challenge: string }).challenge).toContain('error="invalid_token"');
}

describe('RFC 8725 on access tokens', () => {
  it('3.1 alg none in any case, with or without a signature', async () => {
    const { payload } = await validClaims();
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      await refusedAsBearer(`${b64({ alg, typ: 'at+jwt', kid })}.${b64(payload)}.`);
      await refusedAsBearer(`${b64({ alg, typ: 'at+jwt', kid })}.${b64(payload)}.c2ln`);
    }
  });

  it('3.1 HS256/HS384/HS512 made with our public key (PEM, DER, JWK, base64) are refused', async () => {
    const { payload } = await validClaims();
    const pub = ACCESS_KEY.publicKey;
    const encodings: Array<string | Buffer> = [
      pub.export({ format: 'pem', type: 'spki' }).toString(),
      pub.export({ format: 'der', type: 'spki' }),
      pub.export({ format: 'der', type: 'spki' }).toString('base64'),
      JSON.stringify(pub.export({ format: 'jwk' })),
    ];
    for (const [alg, hash] of [['HS256', 'sha256'], ['HS384', 'sha384'], ['HS512', 'sha512']]) {
      for (const secret of encodings) {
        const input = `${b64({ alg, typ: 'at+jwt', kid })}.${b64(payload)}`;
        await refusedAsBearer(`${input}.${createHmac(hash, secret).update(input).digest('base64url')}`);
      }
    }
  });

  it('3.1 with RSA keys configured, HS256 made with the RSA public key (PEM, DER, JWK) is refused', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaAnon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: { ...TEST_KEYS, accessToken: rsa.privateKey } });
    const rsaKid = internals(rsaAnon).tokens.options.accessKeys.current.kid;
    const record = await internals(rsaAnon).sessions.create();
    const genuine = (await issueDirect(rsaAnon, record, '', AUDIENCE)).access_token;
    expect((await runStrategy(rsaAnon.strategy(), { headers: { authorization: `Bearer ${genuine}` } })).kind).toBe('success');
    const payload = genuine.split('.')[1];
    for (const secret of [rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString(), rsa.publicKey.export({ format: 'pem', type: 'pkcs1' }).toString(), rsa.publicKey.export({ format: 'der', type: 'spki' }), JSON.stringify(rsa.publicKey.export({ format: 'jwk' }))]) {
      const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: rsaKid })}.${payload}`;
      await refusedAsBearer(`${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`, rsaAnon);
    }
  });

  it('3.1 RS256/PS256 with an RSA public key never pass an ES256 verifier (algorithm pinned per key)', async () => {
    const { payload } = await validClaims();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    for (const alg of ['RS256', 'PS256']) {
      const token = await new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader({ alg, typ: 'at+jwt', kid }).sign(rsa.privateKey);
      await refusedAsBearer(token);
    }
  });

  describe('3.10 keys are never taken from the token', () => {
    let server: Server;
    let hits = 0;
    let url = '';
    beforeAll(async () => {
      server = createServer((_req, res) => {
        hits += 1;
        res.end('{"keys":[]}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('jwk, jku, x5u and x5c headers are ignored, with no outbound request', async () => {
      const { payload } = await validClaims();
      const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = (await exportJWK(attacker.publicKey)) as JWK;
      const headers = [
        { jwk },
        { jku: `${url}/jwks.json` },
        { x5u: `${url}/cert.pem` },
        { x5c: ['MIIBszCCAVmgAwIBAgIUaW52YWxpZA=='] },
        { jwk, kid },
        { jku: `${url}/jwks.json`, kid },
      ];
      for (const extra of headers) {
        const token = await new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', ...extra }).sign(attacker.privateKey);
        await refusedAsBearer(token);
      }
      expect(hits).toBe(0);
    });
  });

  it('kid injection: path traversal, SQL, huge or foreign kids are just unknown keys', async () => {
    const { payload } = await validClaims();
    for (const badKid of ['../../../../dev/null', "' OR '1'='1", 'x'.repeat(5000), '{"$ne":null}', '\u0000', 'constructor', '__proto__']) {
      const token = await new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: badKid }).sign(ACCESS_KEY.privateKey);
      await refusedAsBearer(token);
    }
  });

  it('an unknown crit header parameter is refused, even with a valid signature', async () => {
    const { payload } = await validClaims();
    // Signed by hand: jose itself refuses to produce a token with an extension it does not know.
    const input = `${b64({ alg: 'ES256', typ: 'at+jwt', kid, crit: ['urn:example:must-understand'], 'urn:example:must-understand': true })}.${b64(payload)}`;
    const signature = sign('sha256', Buffer.from(input), { key: ACCESS_KEY.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    await refusedAsBearer(`${input}.${signature}`);
    // the same token without crit passes, so the refusal above is the crit check's
    const plain = `${b64({ alg: 'ES256', typ: 'at+jwt', kid })}.${b64(payload)}`;
    const ok = await runStrategy(anon.strategy(), { headers: { authorization: `Bearer ${plain}.${sign('sha256', Buffer.from(plain), { key: ACCESS_KEY.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}` } });
    expect(ok.kind).toBe('success');
  });

  it('an oversized token is refused before any parsing or crypto', async () => {
    const { token } = await validClaims();
    const huge = `${token.split('.')[0]}.${'A'.repeat(1_000_000)}.${token.split('.')[2]}`;
    const keys = ringKeys(internals(anon).tokens.options.accessKeys);
    const options = { issuer: ISSUER, audience: [AUDIENCE], clockTolerance: 5, maxLength: 16384, maxTokenAge: 900, now: Date.now() };
    await expect(verifyAccessToken(keys, huge, options)).rejects.toEqual(new TokenError('malformed', 'The token is too long'));
    await refusedAsBearer(huge);
  });
});

describe('RFC 8725 on JWE session tokens (dir + A256GCM only)', () => {
  const secret = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256));
  let app: Express;
  let good: string;
  let jweAnon: AnonymousSessions;
  beforeAll(async () => {
    ({ app, anon: jweAnon } = buildApp({ rateLimit: false, keys: { ...TEST_KEYS, sessionToken: { secret: secret.toString('base64url') }, sessionTokenFormat: 'jwe' } }, undefined, (a, an) => a.use(an.router())));
    good = (await request(app).post('/anonymous/token').send({})).body.session_token;
  });
  const renew = (session_token: string) => request(app).post('/anonymous/token').send({ session_token });
  const skid = () => internals(jweAnon).tokens.options.sessionKeys.current.kid;
  const claims = () => ({ iss: ISSUER, aud: `${ISSUER}/anonymous/token`, user_id: 'anon|x', session_id: 's', client_id: 'default', created_at: 1, metadata: {}, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 });

  it('accepts the genuine token', async () => {
    expect((await renew(good)).status).toBe(200);
  });

  it('refuses disallowed key-management and content-encryption algorithms', async () => {
    const plaintext = Buffer.from(JSON.stringify(claims()));
    const cases: Array<[Record<string, unknown>, Uint8Array]> = [
      [{ alg: 'A256KW', enc: 'A256GCM' }, secret],
      [{ alg: 'dir', enc: 'A128CBC-HS256' }, secret],
      [{ alg: 'A256GCMKW', enc: 'A256GCM' }, secret],
    ];
    for (const [header, key] of cases) {
      const token = await new CompactEncrypt(plaintext).setProtectedHeader({ ...header, typ: 'anon-session+jwt', kid: skid() } as never).encrypt(key);
      shouldBeOAuthError(await renew(token), 400, 'invalid_session_token');
    }
  });

  it('refuses a PBES2 iteration bomb without deriving a key', async () => {
    const header = b64({ alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', p2s: 'c2FsdHNhbHQ', p2c: 1_000_000_000, kid: skid() });
    const token = `${header}.${'A'.repeat(54)}.${'A'.repeat(16)}.${'A'.repeat(40)}.${'A'.repeat(22)}`;
    shouldBeOAuthError(await renew(token), 400, 'invalid_session_token');
  });

  it('refuses compressed payloads (zip), even when everything else is genuine', async () => {
    const genuine = JSON.parse(Buffer.from(good.split('.')[0], 'base64url').toString());
    expect(genuine.zip).toBeUndefined();
    const real = await internals(jweAnon).sessions.create({});
    const token = await new CompactEncrypt(Buffer.from(JSON.stringify({ ...claims(), user_id: real.userId, session_id: real.sessionId })))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', zip: 'DEF', typ: 'anon-session+jwt', kid: skid() } as never)
      .encrypt(secret)
      .catch(() => `${b64({ alg: 'dir', enc: 'A256GCM', zip: 'DEF', kid: skid() })}..${'A'.repeat(16)}.${'A'.repeat(40)}.${'A'.repeat(22)}`);
    shouldBeOAuthError(await renew(token), 400, 'invalid_session_token');
  });

  it('answers every tampering (header, iv, ciphertext, tag) alike', async () => {
    const parts = good.split('.');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const bodies = [];
    for (const i of [0, 2, 3, 4]) {
      const tampered = parts.map((p, j) => (j === i ? flip(p) : p)).join('.');
      const res = await renew(tampered);
      bodies.push({ status: res.status, body: res.body });
    }
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(bodies[0]).toEqual({ status: 400, body: { error: 'invalid_session_token', error_description: 'The session token is invalid' } });
  });
});

describe('one token, one spelling', () => {
  it('refuses a token whose last base64url character carries stray bits (the same bytes, another text)', async () => {
    const { token } = await validClaims();
    const [h, p, sig] = token.split('.');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(sig[sig.length - 1]);
    const respelled = `${h}.${p}.${sig.slice(0, -1)}${alphabet[last | 1]}`; // 86 characters: the low 4 bits are padding
    expect(Buffer.from(respelled.split('.')[2], 'base64url')).toEqual(Buffer.from(sig, 'base64url'));
    await refusedAsBearer(respelled);
    expect((await runStrategy(anon.strategy({ cacheSize: 0 }), { headers: { authorization: `Bearer ${token}` } })).kind).toBe('success');
  });
});
