import express, { type Express } from 'express';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import { anonymousSessions, sameOriginOnly } from '../../lib';
import { ISSUER, AUDIENCE } from '../support/app';
import { TEST_KEYS } from '../support/keys';

/** The mistakes a stranger made pasting the README: each is loud and names its fix, or is simply right. */
describe('wiring mistakes found by a first-time user', () => {
  const make = (extra: Record<string, unknown> = {}) => {
    const warnings: string[] = [];
    const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, rateLimit: false, persist: 'always', logger: { warn: (m) => warnings.push(m) }, ...extra });
    return { anon, warnings };
  };
  const withSession = (app: Express) => app.use(session({ secret: 'test secret that is long enough', resave: false, saveUninitialized: false }));

  it('anon.middleware() mounted after the routes: requireGuest() fails the request and the log names the order', async () => {
    const { anon, warnings } = make();
    const app = express();
    withSession(app);
    app.post('/cart', anon.requireGuest(), (_req, res) => res.json({ ok: true }));
    app.use(anon.middleware());
    app.use(anon.errorHandler());
    expect((await request(app).post('/cart')).status).toBe(500);
    expect(warnings.join('\n')).toMatch(/anon\.middleware\(\) did not run before this route.*before your routes/);
  });

  it('a signed-in browser without a guest: 401 guest_required, and no bearer challenge sent to a cookie client', async () => {
    const { anon } = make();
    const app = express();
    withSession(app);
    app.use((req, _res, next) => {
      (req as unknown as { isAuthenticated: () => boolean }).isAuthenticated = () => true;
      next();
    });
    app.use(anon.middleware());
    app.post('/cart', anon.requireGuest(), (_req, res) => res.json({ ok: true }));
    app.use(anon.errorHandler());
    const res = await request(app).post('/cart');
    expect([res.status, res.body.error, res.headers['www-authenticate']]).toEqual([401, 'guest_required', undefined]);
  });

  it('passport.session() mounted after anon.middleware(): signed-in users get no guest, and the log says so once', async () => {
    const { anon, warnings } = make();
    const p = new passport.Passport();
    p.serializeUser((user, done) => done(null, (user as { id: string }).id));
    p.deserializeUser((id: string, done) => done(null, { id }));
    const app = express();
    withSession(app);
    app.use(p.initialize());
    app.post('/login', (req, res, next) => req.login({ id: 'ada' } as Express.User, (err) => (err ? next(err) : res.end())));
    app.use(anon.middleware()); // too early
    app.use(p.session());
    app.get('/me', (req, res) => res.json({ guest: req.anonymous?.id ?? null, user: req.user ?? null }));
    const agent = request.agent(app);
    await agent.post('/login').expect(200);
    const me = await agent.get('/me');
    expect(me.body).toEqual({ guest: null, user: { id: 'ada' } });
    await agent.get('/me');
    expect(warnings.filter((w) => /mount app\.use\(passport\.session\(\)\) before app\.use\(anon\.middleware\(\)\)/.test(w))).toHaveLength(1);
  });

  it('anon.router() mounted under a path the issuer does not have: warned once, naming what discovery advertises', async () => {
    const { anon, warnings } = make();
    const app = express();
    app.use('/api', anon.router());
    await request(app).post('/api/anonymous/token').send({}).expect(200);
    expect(warnings.join('\n')).toMatch(/mounted at \/api but the issuer is https:\/\/shop\.test, so discovery advertises https:\/\/shop\.test\/anonymous\/token/);
  });

  it('sameOriginOnly() behind a TLS proxy without trust proxy: the refusal comes with a hint in the log', async () => {
    const hints: string[] = [];
    const app = express();
    withSession(app);
    app.use(express.json());
    app.use(sameOriginOnly({ logger: { warn: (m) => hints.push(m) } }));
    app.post('/act', (_req, res) => res.json({ ok: true }));
    const res = await request(app).post('/act').set('Host', 'shop.example').set('Origin', 'https://shop.example').set('X-Forwarded-Proto', 'https').send({});
    expect(res.status).toBe(403);
    expect(hints.join('\n')).toMatch(/which Express sees as http: behind a TLS proxy, set app\.set\('trust proxy'/);
  });

  it('options given at the top level that belong in a group say which group', () => {
    expect(() => make({ idle: 3600 })).toThrow(/idle: belongs inside lifetimes: \{ lifetimes: \{ idle: … \} \}/);
    expect(() => make({ access_token: 'x' })).toThrow(/access_token: belongs inside keys: \{ keys: \{ accessToken: … \} \}/);
    expect(() => make({ metadataBytes: 10 })).toThrow(/belongs inside limits/);
    expect(() => make({ rateLimit: 'off' })).toThrow(/rateLimit: must be an object .* or false to turn the limit off/);
  });

  it("bearer failures render as JSON through anon.errorHandler() with passport's failWithError", async () => {
    const { anon } = make();
    const p = new passport.Passport();
    p.use(anon.strategy());
    const app = express();
    app.get('/api', p.authenticate('anonymous', { session: false, failWithError: true }), (_req, res) => res.json({ ok: true }));
    app.use(anon.errorHandler());
    const res = await request(app).get('/api').set('Authorization', 'Bearer garbage');
    expect([res.status, res.body.error]).toEqual([401, 'invalid_token']);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="anonymous", error="invalid_token"/);
  });
});
