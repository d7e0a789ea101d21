import request from 'supertest';
import type { Express } from 'express';
import type { AnonymousSessions } from '../../lib';
import { buildApp, ISSUER, AUDIENCE } from '../support/app';
import { decode, shouldBeOAuthError, shouldNotBeCached } from '../support/oauth';

const SECRET = 'resource-server-secret'.padEnd(40, 'x');
const OTHER_SECRET = 'unrelated-server-secret'.padEnd(40, 'x');
const mountRouter = (app: Express, anon: AnonymousSessions) => app.use(anon.router());
const clients = [
  { id: 'default', scopes: ['cart'] },
  { id: 'api', secret: SECRET, audiences: [AUDIENCE] },
  { id: 'reports', secret: OTHER_SECRET, audiences: ['https://reports.shop.test'] },
];

describe('POST /anonymous/introspect (RFC 7662)', () => {
  let app: Express;
  let tokens: { access_token: string; session_token: string };
  beforeEach(async () => {
    ({ app } = buildApp({ rateLimit: false, scopes: ['cart'], clients }, undefined, mountRouter));
    tokens = (await request(app).post('/anonymous/token').send({ client_id: 'default', scope: 'cart' })).body;
  });
  const introspect = (token: string, auth: [string, string] = ['api', SECRET]) =>
    request(app).post('/anonymous/introspect').auth(auth[0], auth[1]).type('form').send({ token });

  it('describes an active access token to an authenticated resource server', async () => {
    const res = await introspect(tokens.access_token).expect(200);
    shouldNotBeCached(res);
    const claims = decode(tokens.access_token).claims;
    expect(res.body).toEqual({
      active: true,
      token_type: 'Bearer',
      iss: ISSUER,
      sub: claims.sub,
      aud: AUDIENCE,
      client_id: 'default',
      scope: 'cart',
      exp: claims.exp,
      iat: claims.iat,
      sid: claims.sid,
      anonymous: true,
    });
  });

  it('sees a revocation at once', async () => {
    await request(app).post('/anonymous/logout').send({ session_token: tokens.session_token }).expect(204);
    expect((await introspect(tokens.access_token)).body).toEqual({ active: false });
  });

  it('answers { active: false } for anything else, never why', async () => {
    for (const token of [tokens.session_token, 'garbage', 'a.b.c', tokens.access_token.slice(0, -3) + 'abc']) {
      expect((await introspect(token)).body).toEqual({ active: false });
    }
    // A confidential client the token was neither issued to nor meant for learns nothing either.
    expect((await introspect(tokens.access_token, ['reports', OTHER_SECRET])).body).toEqual({ active: false });
  });

  it('is for confidential clients only', async () => {
    shouldBeOAuthError(await request(app).post('/anonymous/introspect').send({ client_id: 'default', token: tokens.access_token }), 401, 'invalid_client');
    shouldBeOAuthError(await introspect(tokens.access_token, ['api', 'wrong']), 401, 'invalid_client');
  });
});
