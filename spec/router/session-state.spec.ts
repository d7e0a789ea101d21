import request from 'supertest';
import type { Express } from 'express';
import type { AnonymousSessions } from '../../lib';
import { buildApp } from '../support/app';
import { decode, shouldBeOAuthError } from '../support/oauth';
import { memoryUsers, transferApp } from '../support/transfer-app';

const mountRouter = (app: Express, anon: AnonymousSessions) => app.use(anon.router());

/** The error body of an ended session: RFC 6749's two members as they always were, and how the session ended. */
function shouldSayTheSessionWas(res: request.Response, state: 'revoked' | 'transferred'): void {
  shouldBeOAuthError(res, 400, 'invalid_grant');
  expect(res.body).toEqual({ error: 'invalid_grant', error_description: `The anonymous session was ${state}`, anonymous_session_state: state });
  expect(Object.keys(res.body)[0]).toBe('error');
}

describe('invalid_grant for an ended session says how it ended (anonymous_session_state)', () => {
  it('revoked: renewal and a ticket request', async () => {
    const { app, anon } = buildApp({ rateLimit: false }, undefined, mountRouter);
    const tokens = (await request(app).post('/anonymous/token').send({ client_id: 'default' }).expect(200)).body;
    await anon.revokeSession(decode(tokens.access_token).claims.sid as string);

    shouldSayTheSessionWas(await request(app).post('/anonymous/token').send({ session_token: tokens.session_token }), 'revoked');
    shouldSayTheSessionWas(
      await request(app).post('/anonymous/token').type('form').send({ grant_type: 'refresh_token', refresh_token: tokens.session_token }),
      'revoked',
    );
    shouldSayTheSessionWas(
      await request(app).post('/anonymous/token').send({ session_token: tokens.session_token, requested_token_type: 'transfer_ticket' }),
      'revoked',
    );
  });

  it('transferred: after a login that took the guest through its session token', async () => {
    const { app } = transferApp({ users: memoryUsers([{ id: 'ada', name: 'Ada', data: {} }]) });
    const tokens = (await request(app).post('/anonymous/token').send({ client_id: 'default' }).expect(200)).body;
    const login = await request(app).post('/login').send({ username: 'ada', anonymous_session_token: tokens.session_token }).expect(200);
    expect(login.body.transfer.status).toBe('merged');

    shouldSayTheSessionWas(await request(app).post('/anonymous/token').send({ session_token: tokens.session_token }), 'transferred');
  });

  it('says nothing of the kind for other invalid_grant answers (another client) or other errors', async () => {
    const { app } = buildApp({ rateLimit: false, clients: [{ id: 'a' }, { id: 'b' }] }, undefined, mountRouter);
    const tokens = (await request(app).post('/anonymous/token').send({ client_id: 'a' }).expect(200)).body;
    const foreign = await request(app).post('/anonymous/token').send({ client_id: 'b', session_token: tokens.session_token });
    shouldBeOAuthError(foreign, 400, 'invalid_grant');
    expect(Object.keys(foreign.body).sort()).toEqual(['error', 'error_description']);
    const forged = await request(app).post('/anonymous/token').send({ client_id: 'a', session_token: 'a.b.c' });
    expect(Object.keys(forged.body).sort()).toEqual(['error', 'error_description']);
  });
});
