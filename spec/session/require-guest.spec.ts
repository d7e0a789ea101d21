import express from 'express';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import { anonymousSessions } from '../../lib';
import { ISSUER, AUDIENCE } from '../support/app';
import { TEST_KEYS } from '../support/keys';
import { shouldBeOAuthError } from '../support/oauth';

/** The README's cart route, reached by a browser (cookie) or an app (bearer token), behind anon.requireGuest(). */
function shop(withStrategy: boolean) {
  const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, rateLimit: false, persist: 'always' });
  const p = new passport.Passport();
  p.use(anon.strategy());
  const app = express();
  app.use(express.json());
  app.use(session({ secret: 'test secret that is long enough', resave: false, saveUninitialized: false }));
  app.use(anon.middleware());
  app.use(anon.router());
  const auth = withStrategy ? [p.authenticate('anonymous', { session: false })] : [];
  app.put('/cart', ...auth, anon.requireGuest(), async (req, res) => {
    const metadata = await req.anonymous!.update({ cart: req.body.cart });
    res.json({ id: req.anonymous!.id, metadata });
  });
  app.get('/cart', ...auth, anon.requireGuest(), (req, res) => res.json(anon.guest(req).metadata));
  app.post('/forget-me', ...auth, anon.requireGuest(), async (req, res) => {
    await req.anonymous!.revoke();
    res.status(204).end();
  });
  app.use(anon.errorHandler());
  return { app, anon };
}

describe.each([
  ['after passport.authenticate(\'anonymous\')', true],
  ['on its own (it verifies the bearer token)', false],
])('anon.requireGuest() %s', (_name, withStrategy) => {
  it('gives a bearer request the same req.anonymous as a cookie request: parsed metadata, update, revoke', async () => {
    const { app, anon } = shop(withStrategy);
    const tokens = (await request(app).post('/anonymous/token').send({})).body;
    const bearer = `Bearer ${tokens.access_token}`;
    const put = await request(app).put('/cart').set('Authorization', bearer).send({ cart: [{ sku: 'tea', quantity: 2 }] }).expect(200);
    expect(put.body.metadata).toEqual({ cart: [{ sku: 'tea', quantity: 2 }] });
    expect((await request(app).get('/cart').set('Authorization', bearer)).body).toEqual({ cart: [{ sku: 'tea', quantity: 2 }] });
    // anon.updateSession() and getSession() hand metadata over parsed, never as a JSON string
    const sid = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString()).sid as string;
    expect((await anon.updateSession(sid, { note: 'hi' })).metadata).toEqual({ cart: [{ sku: 'tea', quantity: 2 }], note: 'hi' });
    await request(app).post('/forget-me').set('Authorization', bearer).expect(204);
    shouldBeOAuthError(await request(app).post('/anonymous/token').send({ session_token: tokens.session_token }), 400, 'invalid_grant');
  });

  it('answers a request with a garbage bearer token 401, never a 500 from req.anonymous!', async () => {
    const { app } = shop(withStrategy);
    const res = await request(app).put('/cart').set('Authorization', 'Bearer garbage').send({ cart: [] });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="anonymous"/);
  });
});

it('anon.requireGuest() lets a cookie guest through', async () => {
  const { app } = shop(false);
  const agent = request.agent(app);
  const res = await agent.put('/cart').send({ cart: ['mug'] }).expect(200);
  expect(res.body.metadata).toEqual({ cart: ['mug'] });
});
