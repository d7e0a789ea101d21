import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { TEST_KEYS } from '../support/keys';
import { MemoryStore } from '../../lib';
import { buildApp, frozenClock, ISSUER, AUDIENCE } from '../support/app';
import { decode, shouldBeOAuthError, shouldBeTokenResponse } from '../support/oauth';

const mountRouter = (app: import('express').Express, anon: import('../../lib').AnonymousSessions) => app.use(anon.router());

function tokenApp(options: Parameters<typeof buildApp>[0] = {}) {
  return buildApp({ rateLimit: false, ...options }, undefined, mountRouter);
}

describe('POST /anonymous/token: create', () => {
  it('creates a guest and returns an RFC 9068 access token and a session token', async () => {
    const { app, anon } = tokenApp();
    const res = await request(app).post('/anonymous/token').send({ client_id: 'default' });
    shouldBeTokenResponse(res);
    expect(res.headers['set-cookie']).toBeUndefined(); // an API client gets no cookie

    const access = decode(res.body.access_token);
    expect(access.header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
    expect(access.claims).toEqual({
      iss: ISSUER,
      sub: expect.stringMatching(/^anon\|/),
      aud: AUDIENCE,
      exp: expect.any(Number),
      iat: expect.any(Number),
      jti: expect.any(String),
      client_id: 'default',
      scope: '',
      sid: expect.any(String),
      anonymous: true,
    });
    expect(access.claims.exp! - access.claims.iat!).toBe(900);
    expect(res.body.expires_in).toBe(900);

    const session = decode(res.body.session_token);
    expect(session.header).toEqual({ alg: 'HS256', typ: 'anon-session+jwt', kid: expect.any(String) });
    expect(session.claims).toMatchObject({
      iss: ISSUER,
      aud: `${ISSUER}/anonymous/token`,
      user_id: access.claims.sub,
      session_id: access.claims.sid,
      created_at: expect.any(Number),
      metadata: {},
    });
    expect(await anon.getSession(access.claims.sid as string)).toMatchObject({ userId: access.claims.sub });
  });

  it('accepts a form body with metadata as JSON text, and a JSON body with metadata as an object', async () => {
    const { app, anon } = tokenApp();
    const form = await request(app).post('/anonymous/token').type('form').send({ client_id: 'default', metadata: '{"cart_id":"c1"}' });
    shouldBeTokenResponse(form);
    const json = await request(app).post('/anonymous/token').send({ metadata: { cart_id: 'c2' } });
    shouldBeTokenResponse(json);
    for (const [res, cart] of [[form, 'c1'], [json, 'c2']] as const) {
      const sid = decode(res.body.access_token).claims.sid as string;
      expect((await anon.getSession(sid))!.metadata).toEqual({ cart_id: cart });
    }
  });

  it('refuses metadata over the core limits with invalid_request and creates nothing', async () => {
    const store = new MemoryStore();
    const { app } = tokenApp({ store, limits: { metadataBytes: 32 } });
    const res = await request(app).post('/anonymous/token').send({ metadata: { big: 'x'.repeat(64) } });
    shouldBeOAuthError(res, 400, 'invalid_request');
    expect(res.body.error_description).toMatch(/limits.metadataBytes/);
    shouldBeOAuthError(await request(app).post('/anonymous/token').send({ metadata: '[1]' }), 400, 'invalid_request');
    shouldBeOAuthError(await request(app).post('/anonymous/token').type('form').send('metadata=not-json'), 400, 'invalid_request');
    expect(store.size).toBe(0);
  });

  it('lets only clients allowed to supply ids choose the user id, and validates it', async () => {
    const { app } = tokenApp({
      clients: [
        { id: 'web' },
        { id: 'importer', secret: 's'.repeat(16) + 'T'.repeat(16), allowUserIds: true },
      ],
    });
    shouldBeOAuthError(await request(app).post('/anonymous/token').send({ client_id: 'web', user_id: 'anon|mine' }), 400, 'unauthorized_client');
    const ok = await request(app).post('/anonymous/token').auth('importer', 's'.repeat(16) + 'T'.repeat(16)).send({ user_id: 'anon|legacy-42' });
    shouldBeTokenResponse(ok);
    expect(decode(ok.body.access_token).claims.sub).toBe('anon|legacy-42');
    const bad = await request(app).post('/anonymous/token').auth('importer', 's'.repeat(16) + 'T'.repeat(16)).send({ user_id: 'has space' });
    shouldBeOAuthError(bad, 400, 'invalid_request');
  });
});

describe('POST /anonymous/token: renew with session_token', () => {
  async function created(app: import('express').Express) {
    const res = await request(app).post('/anonymous/token').send({});
    return { session_token: res.body.session_token as string, claims: decode(res.body.access_token).claims };
  }

  it('returns a new access token for the same user and session', async () => {
    const { app } = tokenApp();
    const first = await created(app);
    const res = await request(app).post('/anonymous/token').send({ session_token: first.session_token });
    shouldBeTokenResponse(res);
    const claims = decode(res.body.access_token).claims;
    expect({ sub: claims.sub, sid: claims.sid }).toEqual({ sub: first.claims.sub, sid: first.claims.sid });
    expect(claims.jti).not.toBe(first.claims.jti);
  });

  it('refuses a revoked session (invalid_grant) and an expired one (session_expired)', async () => {
    const clock = frozenClock();
    const { app, anon } = tokenApp({ clock: clock.now, lifetimes: { idle: 600, absolute: 3600 } });
    const revoked = await created(app);
    await anon.revokeSession(revoked.claims.sid as string);
    shouldBeOAuthError(await request(app).post('/anonymous/token').send({ session_token: revoked.session_token }), 400, 'invalid_grant');

    const idle = await created(app);
    clock.advance(601);
    shouldBeOAuthError(await request(app).post('/anonymous/token').send({ session_token: idle.session_token }), 400, 'session_expired');
    const late = await created(app);
    clock.advance(3601);
    shouldBeOAuthError(await request(app).post('/anonymous/token').send({ session_token: late.session_token }), 400, 'session_expired');
  });

  it('refuses tampered tokens, access tokens and other issuers’ tokens as invalid_session_token', async () => {
    const { app } = tokenApp();
    const res = await request(app).post('/anonymous/token').send({});
    const [h, p, s] = (res.body.session_token as string).split('.');
    const forged = Buffer.from(JSON.stringify({ ...decode(res.body.session_token).claims, user_id: 'anon|victim' })).toString('base64url');
    for (const token of [`${h}.${forged}.${s}`, res.body.access_token, `${h}.${p}.`, 'garbage', 'a'.repeat(20000)]) {
      shouldBeOAuthError(await request(app).post('/anonymous/token').send({ session_token: token }), 400, 'invalid_session_token');
    }
    const other = tokenApp({ keys: { ...TEST_KEYS, sessionToken: { secret: randomBytes(32).toString('base64url') } } }); // other keys
    const foreign = await request(other.app).post('/anonymous/token').send({});
    shouldBeOAuthError(await request(app).post('/anonymous/token').send({ session_token: foreign.body.session_token }), 400, 'invalid_session_token');
  });

  it('refuses renewal by another client than the one the session was created for', async () => {
    const { app } = tokenApp({ clients: [{ id: 'a' }, { id: 'b' }] });
    const res = await request(app).post('/anonymous/token').send({ client_id: 'a' });
    shouldBeOAuthError(await request(app).post('/anonymous/token').send({ client_id: 'b', session_token: res.body.session_token }), 400, 'invalid_grant');
  });

  it('works with JWE session tokens (dir + A256GCM) whose content the client cannot read', async () => {
    const { app } = tokenApp({
      keys: { ...TEST_KEYS, sessionToken: { secret: Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 3)).toString('base64url') }, sessionTokenFormat: 'jwe' },
    });
    const res = await request(app).post('/anonymous/token').send({ metadata: { secret_ish: 'x' } });
    shouldBeTokenResponse(res);
    const parts = (res.body.session_token as string).split('.');
    expect(parts).toHaveLength(5);
    expect(JSON.parse(Buffer.from(parts[0], 'base64url').toString())).toMatchObject({ alg: 'dir', enc: 'A256GCM', typ: 'anon-session+jwt' });
    expect(res.body.session_token).not.toContain('secret_ish');
    shouldBeTokenResponse(await request(app).post('/anonymous/token').send({ session_token: res.body.session_token }));
  });
});

describe('POST /anonymous/token: a browser with a guest', () => {
  it('gets an access token for the guest its cookie holds, never a second guest, and never a session token', async () => {
    const { app } = tokenApp();
    const agent = request.agent(app);
    const me = (await agent.get('/me')).body;
    const res = await agent.post('/anonymous/token').set('Sec-Fetch-Site', 'same-origin').send({});
    // the cookie is the guest's credential: a script on the page (an XSS payload too) gets a 15-minute access token,
    // not a session token that would act as the guest for weeks
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ token_type: 'Bearer', access_token: expect.any(String), expires_in: expect.any(Number), scope: expect.any(String) });
    expect(decode(res.body.access_token).claims).toMatchObject({ sub: me.id, sid: me.sessionId });
  });

  it('refuses a cross-site request for the cookie-bound guest', async () => {
    const { app } = tokenApp();
    const agent = request.agent(app);
    await agent.get('/me');
    shouldBeOAuthError(await agent.post('/anonymous/token').set('Sec-Fetch-Site', 'cross-site').send({}), 403, 'invalid_request');
    shouldBeOAuthError(await agent.post('/anonymous/token').set('Origin', 'https://evil.test').send({}), 403, 'invalid_request');
  });
});

describe('POST /anonymous/token: request errors', () => {
  const { app } = tokenApp({
    scopes: ['cart:read', 'cart:write'],
    clients: [{ id: 'spa', scopes: ['cart:read'] }, { id: 'backend', secret: 'b'.repeat(20) + 'C'.repeat(20), audiences: ['https://api.shop.test', 'https://other.test'] }],
  });
  const post = () => request(app).post('/anonymous/token');

  it('a repeated parameter or an array where a string belongs is invalid_request, never a 500', async () => {
    shouldBeOAuthError(await post().type('form').send('client_id=spa&client_id=spa'), 400, 'invalid_request');
    shouldBeOAuthError(await post().send({ client_id: ['spa'] }), 400, 'invalid_request');
    shouldBeOAuthError(await post().send({ client_id: { x: 1 } }), 400, 'invalid_request');
    shouldBeOAuthError(await post().send([1, 2]), 400, 'invalid_request');
    shouldBeOAuthError(await post().type('text/plain').send('client_id=spa'), 400, 'invalid_request');
    shouldBeOAuthError(await post().type('json').send('{"client_id":'), 400, 'invalid_request');
    shouldBeOAuthError(await post().send({ client_id: 'spa', pad: 'x'.repeat(40_000) }), 413, 'invalid_request');
  });

  it('requires client_id once clients are configured, and authenticates confidential clients', async () => {
    shouldBeOAuthError(await post().send({}), 400, 'invalid_request');
    shouldBeOAuthError(await post().send({ client_id: 'nobody' }), 401, 'invalid_client');
    shouldBeOAuthError(await post().send({ client_id: 'backend' }), 401, 'invalid_client');
    shouldBeOAuthError(await post().send({ client_id: 'backend', client_secret: 'wrong' }), 401, 'invalid_client');
    const basic = await post().auth('backend', 'wrong').send({});
    shouldBeOAuthError(basic, 401, 'invalid_client');
    expect(basic.headers['www-authenticate']).toBe('Basic realm="anonymous"');
    shouldBeOAuthError(await post().send({ client_id: 'spa', client_secret: 'x'.repeat(40) }), 401, 'invalid_client');
    shouldBeTokenResponse(await post().send({ client_id: 'backend', client_secret: 'b'.repeat(20) + 'C'.repeat(20) }));
    shouldBeTokenResponse(await post().auth('backend', 'b'.repeat(20) + 'C'.repeat(20)).send({}));
    shouldBeOAuthError(await post().auth('backend', 'b'.repeat(20) + 'C'.repeat(20)).send({ client_secret: 'b'.repeat(20) + 'C'.repeat(20) }), 400, 'invalid_request');
  });

  it('grants only allowed scopes (invalid_scope) and audiences (invalid_target)', async () => {
    const ok = await post().send({ client_id: 'spa', scope: 'cart:read' });
    shouldBeTokenResponse(ok);
    expect(ok.body.scope).toBe('cart:read');
    expect(decode(ok.body.access_token).claims.scope).toBe('cart:read');
    shouldBeOAuthError(await post().send({ client_id: 'spa', scope: 'cart:read cart:write' }), 400, 'invalid_scope');
    shouldBeOAuthError(await post().send({ client_id: 'spa', scope: 'cart:read  x' }), 400, 'invalid_scope');
    shouldBeOAuthError(await post().send({ client_id: 'spa', audience: 'https://other.test' }), 400, 'invalid_target');
    const other = await post().auth('backend', 'b'.repeat(20) + 'C'.repeat(20)).send({ audience: 'https://other.test' });
    expect(decode(other.body.access_token).claims.aud).toBe('https://other.test');
  });
});
