import request from 'supertest';
import type { Express } from 'express';
import type { AnonymousSessions } from '../../lib';
import { buildApp } from '../support/app';
import { shouldBeOAuthError } from '../support/oauth';

const mountRouter = (app: Express, anon: AnonymousSessions) => app.use(anon.router());

/**
 * The endpoints act through the browser's cookie (tokens for its guest, cookie logout). A browser that sends neither
 * Sec-Fetch-Site nor Origin (an old one) gives no sign of where a request came from: a body a cross-site form can
 * send is refused there; JSON (which needs a preflight from elsewhere) and no body at all are not.
 */
describe('cookie modes of the endpoints, from a browser that sends neither Sec-Fetch-Site nor Origin', () => {
  async function guestAgent() {
    const { app } = buildApp({ rateLimit: false }, undefined, mountRouter);
    const agent = request.agent(app);
    await agent.get('/me');
    return agent;
  }

  it('refuses a form-encoded token request carrying the cookie (it could be a cross-site form)', async () => {
    const agent = await guestAgent();
    shouldBeOAuthError(await agent.post('/anonymous/token').type('form').send({ metadata: '{"cart":["x"]}' }), 403, 'invalid_request');
    expect((await agent.get('/me')).body.metadata).toEqual({});
  });

  it('refuses a form-encoded cookie logout, and keeps the guest', async () => {
    const agent = await guestAgent();
    const before = (await agent.get('/me')).body.id;
    shouldBeOAuthError(await agent.post('/anonymous/logout').type('form').send({ x: '1' }), 403, 'invalid_request');
    expect((await agent.get('/me')).body.id).toBe(before);
  });

  it('accepts JSON and body-less requests, which a cross-site form cannot send', async () => {
    const agent = await guestAgent();
    const before = (await agent.get('/me')).body.id;
    expect((await agent.post('/anonymous/token').send({ metadata: { cart: ['tea'] } })).status).toBe(200);
    expect((await agent.get('/me')).body.metadata).toEqual({ cart: ['tea'] });
    expect((await agent.post('/anonymous/logout')).status).toBe(204);
    expect((await agent.get('/me')).body.id).not.toBe(before);
  });
});
