import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import session from 'express-session';
import passport from 'passport';
import { Strategy as CustomStrategy } from 'passport-strategy';
import request from 'supertest';
import fc from 'fast-check';
import { anonymousSessions, AnonymousStrategy, isAnonymousUser, type AnonymousSessions } from '../../lib';
import { ISSUER, AUDIENCE } from '../support/app';
import { TEST_KEYS } from '../support/keys';
import { WELL_FORMED_CHALLENGE } from '../support/strategy';

/** A stand-in for a login-session strategy: succeeds when the request says so, else fails without a challenge. */
class LocalSession extends CustomStrategy {
  name = 'local-session';
  override authenticate(req: express.Request): void {
    if (req.get('x-test-user')) this.success({ id: req.get('x-test-user'), anonymous: false });
    else this.fail(401);
  }
}

function appWith(configure?: (anon: AnonymousSessions, pp: passport.PassportStatic) => void) {
  const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, persist: 'always', scopes: ['cart:read'], rateLimit: false });
  const pp = new passport.Passport() as unknown as passport.PassportStatic;
  pp.use(anon.strategy());
  pp.use(new LocalSession());
  const app = express();
  configure?.(anon, pp);
  app.use(session({ secret: 'a test secret long enough', resave: false, saveUninitialized: false }));
  app.use(pp.initialize());
  app.use(anon.middleware());
  app.use(anon.router());
  const whoami = (req: express.Request, res: express.Response) => res.json({ user: req.user ?? null, anonymous: isAnonymousUser(req.user) });
  app.get('/api/me', pp.authenticate('anonymous', { session: false }), whoami);
  app.get('/api/cart', pp.authenticate('anonymous', { session: false, scope: 'cart:read' } as never), whoami);
  app.get('/either', pp.authenticate(['local-session', 'anonymous'], { session: false }), whoami);
  app.get('/chain-scoped', pp.authenticate(['scoped', 'local-session'], { session: false }), whoami);
  app.get('/account', pp.authenticate(['local-session', 'anonymous'], { session: false }), anon.requireRealUser(), whoami);
  app.use(anon.errorHandler());
  return { app, anon };
}

async function token(app: Express, scope?: string): Promise<string> {
  return (await request(app).post('/anonymous/token').send(scope ? { scope } : {})).body.access_token;
}

describe("passport.authenticate('anonymous') over HTTP", () => {
  it('401 with a bare Bearer challenge when there is no token; 200 with a typed req.user when there is', async () => {
    const { app } = appWith();
    const none = await request(app).get('/api/me').expect(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="anonymous"');
    const ok = await request(app).get('/api/me').set('Authorization', `Bearer ${await token(app)}`).expect(200);
    expect(ok.body).toMatchObject({ anonymous: true, user: { id: expect.stringMatching(/^anon\|/), anonymous: true } });
  });

  it('403 insufficient_scope with the header set, 200 with the scope', async () => {
    const { app } = appWith();
    const res = await request(app).get('/api/cart').set('Authorization', `Bearer ${await token(app)}`).expect(403);
    expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="cart:read"/);
    await request(app).get('/api/cart').set('Authorization', `Bearer ${await token(app, 'cart:read')}`).expect(200);
  });

  it('fails over in a chain: login session first, then the anonymous bearer token', async () => {
    const { app } = appWith();
    expect((await request(app).get('/either').set('x-test-user', 'u1').expect(200)).body.user).toEqual({ id: 'u1', anonymous: false });
    expect((await request(app).get('/either').set('Authorization', `Bearer ${await token(app)}`).expect(200)).body.anonymous).toBe(true);
    const none = await request(app).get('/either').expect(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="anonymous"');
  });

  it('a 403 challenge from a strategy earlier in a chain does not linger on a later success', async () => {
    const { app } = appWith((anon, pp) => pp.use('scoped', anon.strategy({ name: 'scoped', scope: 'cart:read' })));
    const res = await request(app).get('/chain-scoped').set('Authorization', `Bearer ${await token(app)}`).set('x-test-user', 'u1');
    expect(res.status).toBe(200);
    expect(res.headers['www-authenticate']).toBeUndefined();
    const refused = await request(app).get('/chain-scoped').set('Authorization', `Bearer ${await token(app)}`).expect(403);
    expect(refused.headers['www-authenticate']).toMatch(/insufficient_scope/);
  });

  it('requireRealUser: a guest gets 403, a registered user passes', async () => {
    const { app } = appWith();
    const guest = await request(app).get('/account').set('Authorization', `Bearer ${await token(app)}`).expect(403);
    expect(guest.body.error).toBe('real_user_required');
    await request(app).get('/account').set('x-test-user', 'u1').expect(200);
  });

  it('allowCookieSession: one guard serves browser pages (cookie) and API calls (token)', async () => {
    const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, persist: 'always', rateLimit: false });
    const pp = new passport.Passport();
    pp.use(anon.strategy({ allowCookieSession: true }));
    const cookieApp = express();
    cookieApp.use(session({ secret: 'a test secret long enough', resave: false, saveUninitialized: false }));
    cookieApp.use(pp.initialize());
    cookieApp.use(anon.middleware());
    cookieApp.get('/me', (req, res) => res.json({ id: req.anonymous?.id }));
    cookieApp.all('/api/me', pp.authenticate('anonymous', { session: false }), (req, res) => res.json(req.user));
    const agent = request.agent(cookieApp);
    const me = (await agent.get('/me')).body.id;
    const viaCookie = (await agent.get('/api/me').expect(200)).body;
    expect(viaCookie).toMatchObject({ id: me, anonymous: true, scope: [] });
    expect(viaCookie).not.toHaveProperty('claims');
    await agent.post('/api/me').set('Sec-Fetch-Site', 'cross-site').expect(403);
    await agent.post('/api/me').set('Sec-Fetch-Site', 'same-origin').expect(200);
  });

  it('allowUnauthenticated: no credentials continue with no user; a bad token is still 401', async () => {
    const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, persist: 'always', rateLimit: false });
    const pp = new passport.Passport();
    pp.use(anon.strategy({ allowUnauthenticated: true }));
    const app = express();
    app.use(pp.initialize());
    app.get('/public', pp.authenticate('anonymous', { session: false }), (req, res) => res.json({ user: req.user ?? null }));
    expect((await request(app).get('/public').expect(200)).body).toEqual({ user: null });
    const bad = await request(app).get('/public').set('Authorization', 'Bearer abc.def.ghi').expect(401);
    expect(bad.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('a verify callback error goes to next(err), not to a 401', async () => {
    const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, persist: 'always', rateLimit: false });
    const pp = new passport.Passport();
    pp.use(anon.strategy({}, async () => {
      throw Object.assign(new Error('user db down'), { status: 500 });
    }));
    const app = express();
    app.use(pp.initialize());
    app.use(anon.router());
    let seen: unknown;
    app.get('/api', pp.authenticate('anonymous', { session: false }), (_req, res) => res.end());
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      seen = err;
      res.status(500).end();
    });
    const t = (await request(app).post('/anonymous/token').send({})).body.access_token;
    await request(app).get('/api').set('Authorization', `Bearer ${t}`).expect(500);
    expect((seen as Error).message).toBe('user db down');
  });

  it('property: arbitrary and mutated Authorization values never give a 500 or a malformed challenge', async () => {
    const { app } = appWith();
    const valid = await token(app);
    const mutate = fc.tuple(fc.nat({ max: valid.length - 1 }), fc.string({ maxLength: 3 })).map(([i, s]) => valid.slice(0, i) + s + valid.slice(i + 1));
    const value = fc.oneof(
      fc.string(),
      fc.string().map((s) => `Bearer ${s}`),
      mutate.map((t) => `Bearer ${t}`),
      fc.constantFrom('Bearer', 'Bearer ', 'bearer  x', 'Basic xyz', 'Bearer a b', `Bearer ${valid}, Bearer ${valid}`),
    );
    await fc.assert(
      fc.asyncProperty(value, async (authorization) => {
        const safe = authorization.replace(/[^\t\x20-\x7e]/g, ''); // what an HTTP client can put in a header
        const res = await request(app).get('/api/me').set('Authorization', safe);
        expect([200, 400, 401]).toContain(res.status);
        if (res.status !== 200) expect(res.headers['www-authenticate']).toMatch(WELL_FORMED_CHALLENGE);
      }),
      { numRuns: 150 },
    );
  });
});

describe('a remote resource server (another app) with the JWKS URL', () => {
  let server: Server;
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('verifies tokens through the remote key set, and refuses other tokens', async () => {
    const issuerApp = express();
    server = await new Promise<Server>((resolve) => {
      const s = issuerApp.listen(0, '127.0.0.1', () => resolve(s));
    });
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const anon = anonymousSessions({ issuer, audience: AUDIENCE, keys: TEST_KEYS, rateLimit: false, persist: 'always' });
    issuerApp.use(anon.router());

    const pp = new passport.Passport();
    pp.use(new AnonymousStrategy({ issuer, audience: AUDIENCE, jwksUri: `${issuer}/.well-known/jwks.json` }));
    const api = express();
    api.use(pp.initialize());
    api.get('/api', pp.authenticate('anonymous', { session: false }), (req, res) => res.json(req.user));

    const tokens = (await request(issuer).post('/anonymous/token').send({})).body;
    expect((await request(api).get('/api').set('Authorization', `Bearer ${tokens.access_token}`).expect(200)).body.anonymous).toBe(true);
    await request(api).get('/api').set('Authorization', `Bearer ${tokens.session_token}`).expect(401);
  });
});
