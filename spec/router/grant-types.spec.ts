import request from 'supertest';
import type { Express } from 'express';
import type { AnonymousSessions } from '../../lib';
import { MemoryStore } from '../../lib';
import { buildApp } from '../support/app';
import { internals } from '../support/internals';
import { decode, shouldBeOAuthError, shouldBeTokenResponse } from '../support/oauth';

const mountRouter = (app: Express, anon: AnonymousSessions) => app.use(anon.router());
const token = (app: Express) => request(app).post('/anonymous/token');

describe('POST /anonymous/token: grant_type', () => {
  let app: Express;
  let anon: AnonymousSessions;
  let sessionToken: string;
  let guest: string;
  beforeEach(async () => {
    ({ app, anon } = buildApp({ rateLimit: false }, undefined, mountRouter));
    const created = await token(app).send({ metadata: { cart: ['tea'] } });
    sessionToken = created.body.session_token;
    guest = decode(created.body.access_token).claims.sub as string;
  });

  it.each(['client_credentials', 'password', 'authorization_code', 'urn:ietf:params:oauth:grant-type:token-exchange'])(
    'refuses %s with unsupported_grant_type and creates no guest',
    async (grantType) => {
      const before = (internals(anon).store as MemoryStore).size;
      shouldBeOAuthError(await token(app).type('form').send({ grant_type: grantType, username: 'a', password: 'b' }), 400, 'unsupported_grant_type');
      expect((internals(anon).store as MemoryStore).size).toBe(before);
    },
  );

  it('renews with grant_type=refresh_token and the session token as refresh_token, keeping the guest and its cart', async () => {
    const res = await token(app).type('form').send({ grant_type: 'refresh_token', refresh_token: sessionToken });
    shouldBeTokenResponse(res, { refresh_token: expect.any(String) });
    expect(decode(res.body.access_token).claims.sub).toBe(guest);
    // A refresh_token client keeps the refresh_token it gets back: the renewed session token.
    expect(res.body.refresh_token).toBe(res.body.session_token);
    expect(decode(res.body.refresh_token).claims).toMatchObject({ user_id: guest, metadata: { cart: ['tea'] } });
  });

  it('refuses grant_type=refresh_token without a refresh_token, or with a bad one', async () => {
    shouldBeOAuthError(await token(app).send({ grant_type: 'refresh_token' }), 400, 'invalid_request');
    shouldBeOAuthError(await token(app).send({ grant_type: 'refresh_token', refresh_token: 'a.b.c' }), 400, 'invalid_session_token');
    shouldBeOAuthError(await token(app).send({ grant_type: 'refresh_token', refresh_token: sessionToken, session_token: 'other' }), 400, 'invalid_request');
  });

  it('refuses refresh_token without its grant_type (a client that believes it renews)', async () => {
    shouldBeOAuthError(await token(app).send({ refresh_token: sessionToken }), 400, 'invalid_request');
  });

  it('creates with the named anonymous grant, and refuses a session token under it', async () => {
    const res = await token(app).send({ grant_type: 'urn:express-anonymous-session:anonymous' });
    shouldBeTokenResponse(res);
    expect(decode(res.body.access_token).claims.sub).not.toBe(guest);
    shouldBeOAuthError(await token(app).send({ grant_type: 'urn:express-anonymous-session:anonymous', session_token: sessionToken }), 400, 'invalid_request');
  });

  it('keeps the hosted wire shape without grant_type: session_token renews, nothing creates', async () => {
    const renewed = await token(app).send({ session_token: sessionToken });
    expect(decode(renewed.body.access_token).claims.sub).toBe(guest);
    expect(renewed.body.refresh_token).toBeUndefined();
    const created = await token(app).send({});
    expect(decode(created.body.access_token).claims.sub).not.toBe(guest);
  });

  it('refuses a repeated grant_type', async () => {
    shouldBeOAuthError(await token(app).type('form').send('grant_type=refresh_token&grant_type=password'), 400, 'invalid_request');
  });
});
