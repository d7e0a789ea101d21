import { generateKeyPairSync, createHmac } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { anonymousSessions, AnonymousStrategy, MemoryStore, StoreUnavailableError, type AnonymousSessions } from '../../lib';
import { ISSUER, AUDIENCE, frozenClock } from '../support/app';
import { ACCESS_KEY, TEST_KEYS } from '../support/keys';
import { fakeResponse, runStrategy, WELL_FORMED_CHALLENGE } from '../support/strategy';
import { internals, issueDirect } from '../support/internals';

async function tokensFor(anon: AnonymousSessions, scope = '') {
  const record = await internals(anon).sessions.create();
  return { record, ...(await issueDirect(anon, record, scope, AUDIENCE)) };
}
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('AnonymousStrategy outcomes (no server)', () => {
  const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, scopes: ['cart:read', 'cart:write'] });
  const strategy = anon.strategy();

  it('is named anonymous (configurable) and is a passport-strategy', () => {
    expect(strategy.name).toBe('anonymous');
    expect(anon.strategy({ name: 'guest' }).name).toBe('guest');
    expect(strategy).toBeInstanceOf(AnonymousStrategy);
  });

  it('succeeds with a typed anonymous user for a valid access token', async () => {
    const t = await tokensFor(anon, 'cart:read');
    const outcome = await runStrategy(strategy, bearer(t.access_token));
    expect(outcome).toEqual({
      kind: 'success',
      user: { id: t.record.userId, sessionId: t.record.sessionId, anonymous: true, scope: ['cart:read'], claims: expect.objectContaining({ sub: t.record.userId }) },
    });
  });

  it('reads the scheme case-insensitively', async () => {
    const t = await tokensFor(anon);
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expect((await runStrategy(strategy, { headers: { authorization: `${scheme} ${t.access_token}` } })).kind).toBe('success');
    }
  });

  it('with no token: 401 challenge with realm and no error code', async () => {
    expect(await runStrategy(strategy, {})).toEqual({ kind: 'fail', challenge: 'Bearer realm="anonymous"', status: 401 });
    expect(await runStrategy(strategy, { headers: { authorization: 'Basic dXNlcjpwYXNz' } })).toEqual({ kind: 'fail', challenge: 'Bearer realm="anonymous"', status: 401 });
  });

  describe('refuses as invalid_token (401)', () => {
    const invalid = async (token: string) => {
      const outcome = await runStrategy(strategy, bearer(token));
      expect(outcome).toMatchObject({ kind: 'fail', status: 401 });
      expect((outcome as { challenge: string }).challenge).toMatch(/^Bearer realm="anonymous", error="invalid_token", error_description="[^"]+"$/);
    };

    it('a session token', async () => invalid((await tokensFor(anon)).session_token));

    it('an expired token', async () => {
      const clock = frozenClock(Date.now());
      const timed = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, clock: clock.now });
      const t = await tokensFor(timed);
      clock.advance(900 + 6); // lifetime + clock tolerance
      const outcome = await runStrategy(timed.strategy(), bearer(t.access_token));
      expect((outcome as { challenge: string }).challenge).toContain('error_description="The access token expired"');
    });

    it('a token from another issuer or for another audience, signed with the right key', async () => {
      for (const [iss, aud] of [['https://evil.test', AUDIENCE], [ISSUER, 'https://other-api.test']]) {
        const token = await new SignJWT({ client_id: 'default', scope: '', sid: 's', anonymous: true })
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: internals(anon).tokens.options.accessKeys.current.kid })
          .setIssuer(iss).setAudience(aud).setSubject('anon|x').setIssuedAt().setExpirationTime('5m').setJti('j')
          .sign(ACCESS_KEY.privateKey);
        await invalid(token);
      }
    });

    it('a JWT without typ at+jwt, signed with the right key', async () => {
      const token = await new SignJWT({ client_id: 'default', scope: '', sid: 's', anonymous: true })
        .setProtectedHeader({ alg: 'ES256', kid: internals(anon).tokens.options.accessKeys.current.kid })
        .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('anon|x').setIssuedAt().setExpirationTime('5m').setJti('j')
        .sign(ACCESS_KEY.privateKey);
      await invalid(token);
    });

    it('alg none, in any case', async () => {
      const t = await tokensFor(anon);
      const [, payload] = t.access_token.split('.');
      for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
        const header = Buffer.from(JSON.stringify({ alg, typ: 'at+jwt' })).toString('base64url');
        await invalid(`${header}.${payload}.`);
      }
      await invalid(new UnsecuredJWT({ sub: 'anon|x' }).encode());
    });

    it('HS256 made with the public key, in every encoding', async () => {
      const t = await tokensFor(anon);
      const [, payload] = t.access_token.split('.');
      const pub = ACCESS_KEY.publicKey;
      const encodings = [
        pub.export({ format: 'pem', type: 'spki' }).toString(),
        pub.export({ format: 'der', type: 'spki' }),
        JSON.stringify(pub.export({ format: 'jwk' })),
        Buffer.from(JSON.stringify(pub.export({ format: 'jwk' }))).toString('base64url'),
      ];
      for (const secret of encodings) {
        const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: internals(anon).tokens.options.accessKeys.current.kid })).toString('base64url');
        const sig = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
        await invalid(`${header}.${payload}.${sig}`);
      }
    });

    it('a token signed by another key that names our kid', async () => {
      const t = await tokensFor(anon);
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const token = await new SignJWT(JSON.parse(Buffer.from(t.access_token.split('.')[1], 'base64url').toString()))
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: internals(anon).tokens.options.accessKeys.current.kid })
        .sign(other);
      await invalid(token);
    });
  });

  it('a token in two places is invalid_request (400), and sets the header itself', async () => {
    const t = await tokensFor(anon);
    const s = anon.strategy({ tokenInQuery: true });
    const res = fakeResponse();
    const outcome = await runStrategy(s, { ...bearer(t.access_token), query: { access_token: t.access_token }, res } as never);
    expect(outcome).toMatchObject({ kind: 'fail', status: 400 });
    res.writeHead(400); // passport's final failure response
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_request"/);
  });

  it('never reads the query string unless enabled', async () => {
    const t = await tokensFor(anon);
    expect(await runStrategy(strategy, { query: { access_token: t.access_token } })).toMatchObject({ kind: 'fail', status: 401 });
    expect((await runStrategy(anon.strategy({ tokenInQuery: true }), { query: { access_token: t.access_token } })).kind).toBe('success');
  });

  it('reads a form body only when enabled, and never on GET', async () => {
    const t = await tokensFor(anon);
    const form = { method: 'POST', body: { access_token: t.access_token }, is: (type: string | string[]) => (String(type).includes('urlencoded') ? 'urlencoded' : false) };
    expect(await runStrategy(strategy, form as never)).toMatchObject({ kind: 'fail', status: 401 });
    const enabled = anon.strategy({ tokenInBody: true });
    expect((await runStrategy(enabled, form as never)).kind).toBe('success');
    expect(await runStrategy(enabled, { ...form, method: 'GET' } as never)).toMatchObject({ kind: 'fail', status: 401 });
  });

  it('a missing scope is insufficient_scope (403) naming the required scope', async () => {
    const t = await tokensFor(anon, 'cart:read');
    const res = fakeResponse();
    const outcome = await runStrategy(strategy, { ...bearer(t.access_token), res } as never, { scope: 'cart:write' });
    expect(outcome).toMatchObject({ kind: 'fail', status: 403 });
    res.writeHead(403);
    const header = res.headers['www-authenticate'];
    expect(header).toBe('Bearer realm="anonymous", error="insufficient_scope", error_description="The access token lacks a required scope", scope="cart:write"');
    expect(header).toMatch(WELL_FORMED_CHALLENGE);
  });

  describe('verify callback', () => {
    it('enriches the user, sync, async or with done', async () => {
      const t = await tokensFor(anon);
      for (const verify of [
        (u: { id: string }) => ({ ...u, plan: 'sync' }),
        async (u: { id: string }) => ({ ...u, plan: 'async' }),
        (u: { id: string }, _req: unknown, done: (e: unknown, u?: object) => void) => done(null, { ...u, plan: 'done' }),
      ]) {
        const outcome = await runStrategy(anon.strategy({}, verify as never), bearer(t.access_token));
        expect(outcome).toMatchObject({ kind: 'success', user: { id: t.record.userId, plan: expect.any(String) } });
      }
    });

    it('false refuses the token (401); a thrown error is an error, not a 401', async () => {
      const t = await tokensFor(anon);
      expect(await runStrategy(anon.strategy({}, () => false), bearer(t.access_token))).toMatchObject({ kind: 'fail', status: 401 });
      const boom = new Error('db down');
      expect(await runStrategy(anon.strategy({}, () => { throw boom; }), bearer(t.access_token))).toEqual({ kind: 'error', err: boom });
      expect(await runStrategy(anon.strategy({}, async () => { throw boom; }), bearer(t.access_token))).toEqual({ kind: 'error', err: boom });
    });
  });

  describe('checkRevocation', () => {
    it('refuses the token of a revoked session at once', async () => {
      const t = await tokensFor(anon);
      const s = anon.strategy({ checkRevocation: true });
      expect((await runStrategy(s, bearer(t.access_token))).kind).toBe('success');
      await anon.revokeSession(t.record.sessionId);
      expect(await runStrategy(s, bearer(t.access_token))).toMatchObject({ kind: 'fail', status: 401 });
      expect((await runStrategy(strategy, bearer(t.access_token))).kind).toBe('success'); // stateless check: until exp
    });

    it('a store outage is an error with status 503 and Retry-After, never a 401', async () => {
      const store = new MemoryStore();
      const withStore = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, store });
      const t = await tokensFor(withStore);
      jest.spyOn(store, 'get').mockRejectedValue(new StoreUnavailableError('down', 5));
      const outcome = await runStrategy(withStore.strategy({ checkRevocation: true }), bearer(t.access_token));
      expect(outcome.kind).toBe('error');
      expect((outcome as { err: StoreUnavailableError }).err).toMatchObject({ status: 503, headers: { 'Retry-After': '5' } });
    });
  });

  it('refuses bad options at construction, naming them', () => {
    expect(() => anon.strategy({ realm: 'a"b' })).toThrow('AnonymousStrategy.realm');
    expect(() => anon.strategy({ scope: 'a b"' })).toThrow('AnonymousStrategy.scope');
    expect(() => new AnonymousStrategy({ issuer: ISSUER, audience: AUDIENCE, jwksUri: 'not a url' })).toThrow('AnonymousStrategy.jwksUri');
    expect(() => new AnonymousStrategy({ issuer: ISSUER, audience: AUDIENCE, jwksUri: 'https://x.test/jwks', algorithms: ['HS256'] })).toThrow('AnonymousStrategy.algorithms');
    expect(() => new AnonymousStrategy({ issuer: ISSUER, audience: AUDIENCE, jwksUri: 'https://x.test/jwks', checkRevocation: true })).toThrow('AnonymousStrategy.store');
  });
});
