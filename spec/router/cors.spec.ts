import request from 'supertest';
import type { Express } from 'express';
import { anonymousSessions, ConfigurationError, type AnonymousSessions, type AnonymousSessionsOptions } from '../../lib';
import { AUDIENCE, buildApp, ISSUER } from '../support/app';
import { TEST_KEYS } from '../support/keys';
import { shouldBeOAuthError, shouldBeTokenResponse } from '../support/oauth';

const SPA = 'https://spa.shop.test';
const mountRouter = (app: Express, anon: AnonymousSessions) => app.use(anon.router());

function corsApp(options: Partial<AnonymousSessionsOptions> = { cors: { origins: [SPA, 'http://127.0.0.1:5173'] } }) {
  // persist: 'always' (buildApp's default) stores a guest on any request the middleware mints one for.
  return buildApp({ rateLimit: false, ...options }, undefined, mountRouter);
}

const preflight = (app: Express, path: string, origin: string) =>
  request(app).options(path).set('Origin', origin).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'content-type,idempotency-key');

/** What a browser needs to let the SPA send the request: its exact origin back, POST, the client's headers; no cookies. */
function shouldAllowPreflight(res: request.Response, origin: string): void {
  expect(res.status).toBe(204);
  expect(res.headers['access-control-allow-origin']).toBe(origin);
  expect(res.headers['access-control-allow-methods']).toBe('POST');
  expect(res.headers['access-control-allow-headers']).toBe('content-type, idempotency-key, authorization');
  expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  expect(res.headers.vary).toMatch(/\bOrigin\b/);
  expect(res.headers['set-cookie']).toBeUndefined(); // a preflight mints no guest
}

/** What a browser needs to hand the SPA the answer, errors and challenges included. */
function shouldExposeTo(res: request.Response, origin: string): void {
  expect(res.headers['access-control-allow-origin']).toBe(origin);
  expect(res.headers['access-control-expose-headers']).toBe('WWW-Authenticate, Retry-After');
  expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  expect(res.headers.vary).toMatch(/\bOrigin\b/);
}

function shouldHaveNoCorsHeaders(res: request.Response): void {
  expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
}

describe('cors: token-mode SPAs on the configured origins', () => {
  it.each(['/anonymous/token', '/anonymous/logout', '/anonymous/revoke'])('answers a preflight on %s for a configured origin', async (path) => {
    const { app } = corsApp();
    shouldAllowPreflight(await preflight(app, path, SPA), SPA);
    shouldAllowPreflight(await preflight(app, path, 'http://127.0.0.1:5173'), 'http://127.0.0.1:5173');
  });

  it('puts the headers on the actual response: a new guest, its renewal, an error and a logout', async () => {
    const { app } = corsApp();
    const created = await request(app).post('/anonymous/token').set('Origin', SPA).type('form').send({ client_id: 'default' });
    shouldBeTokenResponse(created);
    shouldExposeTo(created, SPA);
    expect(created.headers['set-cookie']).toBeUndefined();

    const renewed = await request(app).post('/anonymous/token').set('Origin', SPA).type('form').send({ session_token: created.body.session_token });
    shouldBeTokenResponse(renewed);
    shouldExposeTo(renewed, SPA);

    const refused = await request(app).post('/anonymous/token').set('Origin', SPA).type('form').send({ session_token: 'a.b.c' });
    shouldBeOAuthError(refused, 400, 'invalid_session_token');
    shouldExposeTo(refused, SPA); // the client reads the error, or it could not tell a dead guest from an outage

    const out = await request(app).post('/anonymous/logout').set('Origin', SPA).type('form').send({ session_token: created.body.session_token }).expect(204);
    shouldExposeTo(out, SPA);
  });

  it.each([
    ['another site', 'https://evil.test'],
    ['a longer host', 'https://spa.shop.test.evil.test'],
    ['another scheme', 'http://spa.shop.test'],
    ['another port', 'https://spa.shop.test:8443'],
    ['an opaque origin', 'null'],
  ])('gives %s no CORS headers: no preflight, no readable answer', async (_, origin) => {
    const { app } = corsApp();
    const pre = await preflight(app, '/anonymous/token', origin);
    expect(pre.status).toBe(405); // as without CORS: the browser refuses to send the request
    shouldHaveNoCorsHeaders(pre);
    const res = await request(app).post('/anonymous/token').set('Origin', origin).type('form').send({ client_id: 'default' });
    shouldHaveNoCorsHeaders(res);
    expect(res.headers.vary).toMatch(/\bOrigin\b/);
  });

  it('leaves introspection out: it is for confidential clients, never a browser', async () => {
    const { app } = corsApp({ cors: { origins: [SPA] }, clients: [{ id: 'default' }, { id: 'api', secret: 's'.repeat(32) }] });
    const pre = await preflight(app, '/anonymous/introspect', SPA);
    expect(pre.status).toBe(405);
    shouldHaveNoCorsHeaders(pre);
    shouldHaveNoCorsHeaders(await request(app).post('/anonymous/introspect').set('Origin', SPA).auth('api', 's'.repeat(32)).type('form').send({ token: 'x' }));
  });

  it('without the option: no CORS headers anywhere, and OPTIONS is a 405 as before', async () => {
    const { app } = corsApp({});
    const pre = await preflight(app, '/anonymous/token', SPA);
    expect(pre.status).toBe(405);
    shouldHaveNoCorsHeaders(pre);
    const res = await request(app).post('/anonymous/token').set('Origin', SPA).type('form').send({ client_id: 'default' });
    shouldBeTokenResponse(res);
    shouldHaveNoCorsHeaders(res);
  });

  it('does not open the cookie-bound guest to a configured origin: the browser grant still refuses cross-site calls', async () => {
    const { app } = corsApp();
    const agent = request.agent(app);
    await agent.get('/me').expect(200); // a guest in the cookie
    const res = await agent.post('/anonymous/token').set('Origin', SPA).set('Sec-Fetch-Site', 'cross-site').type('form').send({ client_id: 'default' });
    shouldBeOAuthError(res, 403, 'invalid_request');
  });
});

describe('cors: checked once, at construction', () => {
  const make = (cors: unknown) => () => anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, cors } as AnonymousSessionsOptions);

  it.each([
    ['a string', 'https://spa.shop.test', 'cors', /must be an object/],
    ['a misspelt key', { origin: [SPA] }, 'cors.origin', /did you mean cors\.origins\?/],
    ['no origins', {}, 'cors.origins', /non-empty array/],
    ['an empty list', { origins: [] }, 'cors.origins', /non-empty array/],
    ['a wildcard', { origins: ['*'] }, 'cors.origins[0]', /no wildcard/],
    ['a trailing slash', { origins: [SPA, 'https://spa.shop.test/'] }, 'cors.origins[1]', /no path or trailing slash/],
    ['a path', { origins: ['https://spa.shop.test/app'] }, 'cors.origins[0]', /got "https:\/\/spa\.shop\.test\/app"/],
    ['upper case', { origins: ['https://SPA.shop.test'] }, 'cors.origins[0]', /lower-case host/],
    ['a default port', { origins: ['https://spa.shop.test:443'] }, 'cors.origins[0]', /no default port/],
    ['another scheme', { origins: ['chrome-extension://abc'] }, 'cors.origins[0]', /http\(s\)/],
  ])('refuses %s, naming the option', (_, cors, option, message) => {
    expect(make(cors)).toThrow(ConfigurationError);
    expect(make(cors)).toThrow(expect.objectContaining({ option, message: expect.stringMatching(message) }));
  });
});
