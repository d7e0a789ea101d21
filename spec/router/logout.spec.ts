import request from 'supertest';
import type { Express } from 'express';
import type { AnonymousSessions } from '../../lib';
import { buildApp } from '../support/app';
import { shouldBeOAuthError, shouldNotBeCached } from '../support/oauth';

const mountRouter = (app: Express, anon: AnonymousSessions) => app.use(anon.router());

describe('POST /anonymous/logout', () => {
  it('revokes the session named by session_token: it stops working at once', async () => {
    const { app } = buildApp({ rateLimit: false }, undefined, mountRouter);
    const tokens = (await request(app).post('/anonymous/token').send({})).body;
    const res = await request(app).post('/anonymous/logout').send({ session_token: tokens.session_token }).expect(204);
    shouldNotBeCached(res);
    shouldBeOAuthError(await request(app).post('/anonymous/token').send({ session_token: tokens.session_token }), 400, 'invalid_grant');
    // logging out twice is not an error
    await request(app).post('/anonymous/logout').send({ session_token: tokens.session_token }).expect(204);
  });

  it('revokes the cookie-bound guest and clears the binding: the next request is a new guest', async () => {
    const { app, anon } = buildApp({ rateLimit: false }, undefined, mountRouter);
    const agent = request.agent(app);
    const before = (await agent.get('/me')).body;
    await agent.post('/anonymous/logout').set('Sec-Fetch-Site', 'same-origin').expect(204);
    expect(await anon.getSession(before.sessionId)).toBeUndefined();
    expect((await agent.get('/me')).body.id).not.toBe(before.id);
  });

  it('refuses a cross-site logout of the cookie-bound guest', async () => {
    const { app, anon } = buildApp({ rateLimit: false }, undefined, mountRouter);
    const agent = request.agent(app);
    const before = (await agent.get('/me')).body;
    shouldBeOAuthError(await agent.post('/anonymous/logout').set('Sec-Fetch-Site', 'cross-site'), 403, 'invalid_request');
    expect(await anon.getSession(before.sessionId)).toBeDefined();
  });

  it('answers a forged session token with invalid_session_token', async () => {
    const { app } = buildApp({ rateLimit: false }, undefined, mountRouter);
    shouldBeOAuthError(await request(app).post('/anonymous/logout').send({ session_token: 'a.b.c' }), 400, 'invalid_session_token');
  });
});
