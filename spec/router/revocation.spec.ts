import request from 'supertest';
import type { Express } from 'express';
import type { AnonymousSessions } from '../../lib';
import { buildApp } from '../support/app';
import { shouldBeOAuthError, shouldNotBeCached } from '../support/oauth';

const SECRET = 'backend-secret-'.padEnd(40, 'x');
const mountRouter = (app: Express, anon: AnonymousSessions) => app.use(anon.router());
const clients = [{ id: 'default' }, { id: 'other' }, { id: 'backend', secret: SECRET }];

describe('POST /anonymous/revoke (RFC 7009)', () => {
  let app: Express;
  let tokens: { access_token: string; session_token: string };
  beforeEach(async () => {
    ({ app } = buildApp({ rateLimit: false, clients }, undefined, mountRouter));
    tokens = (await request(app).post('/anonymous/token').send({ client_id: 'default' })).body;
  });
  const revoke = (body: Record<string, string>) => request(app).post('/anonymous/revoke').type('form').send(body);
  const renew = () => request(app).post('/anonymous/token').send({ client_id: 'default', session_token: tokens.session_token });

  it('revokes the session named by a session token (hint refresh_token): the session token stops renewing', async () => {
    const res = await revoke({ client_id: 'default', token: tokens.session_token, token_type_hint: 'refresh_token' });
    expect(res.status).toBe(200);
    shouldNotBeCached(res);
    shouldBeOAuthError(await renew(), 400, 'invalid_grant');
  });

  it('revokes the session named by an access token, whatever the hint says', async () => {
    expect((await revoke({ client_id: 'default', token: tokens.access_token, token_type_hint: 'refresh_token' })).status).toBe(200);
    shouldBeOAuthError(await renew(), 400, 'invalid_grant');
  });

  it('answers 200 for unknown, garbage or foreign tokens, and revokes nothing', async () => {
    for (const token of ['not-a-token', 'a.b.c', tokens.session_token.slice(0, -2) + 'xx']) {
      expect((await revoke({ client_id: 'default', token })).status).toBe(200);
    }
    expect((await renew()).status).toBe(200);
  });

  it('refuses a token of another client and keeps it working', async () => {
    shouldBeOAuthError(await revoke({ client_id: 'other', token: tokens.session_token }), 400, 'invalid_request');
    expect((await renew()).status).toBe(200);
  });

  it('authenticates clients as the token endpoint does', async () => {
    shouldBeOAuthError(await revoke({ client_id: 'nobody', token: tokens.session_token }), 401, 'invalid_client');
    shouldBeOAuthError(await revoke({ client_id: 'backend', client_secret: 'wrong', token: tokens.session_token }), 401, 'invalid_client');
    shouldBeOAuthError(await revoke({ client_id: 'default' }), 400, 'invalid_request');
  });

  it('leaves /anonymous/logout as it was for hosted-shape clients', async () => {
    expect((await request(app).post('/anonymous/logout').send({ session_token: tokens.session_token })).status).toBe(204);
    shouldBeOAuthError(await renew(), 400, 'invalid_grant');
  });
});
