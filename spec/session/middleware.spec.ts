import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { anonymousSessions, MemoryStore } from '../../lib';
import { AUDIENCE, ISSUER, buildApp, frozenClock } from '../support/app';
import { TEST_KEYS } from '../support/keys';

function shouldSetCookie(res: request.Response): string {
  const cookie = res.headers['set-cookie'] as unknown as string[] | undefined;
  expect(cookie?.[0]).toMatch(/^connect\.sid=/);
  return cookie![0];
}
function shouldNotSetCookie(res: request.Response): void {
  expect(res.headers['set-cookie']).toBeUndefined();
}

describe('anon.middleware() on the cookie path', () => {
  it('gives a first-time visitor a stored anonymous session and a cookie', async () => {
    const { app, anon } = buildApp();
    const res = await request(app).get('/me').expect(200);
    shouldSetCookie(res);
    expect(res.body.id).toMatch(/^anon\|[0-9a-f-]{36}$/);
    expect(res.body.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits, base64url
    expect(res.body.persisted).toBe(true);
    expect(await anon.getSession(res.body.sessionId)).toMatchObject({ userId: res.body.id, state: 'active' });
  });

  it('finds the same guest on later requests through the express-session cookie', async () => {
    const { app } = buildApp();
    const agent = request.agent(app);
    const first = await agent.get('/me');
    await agent.post('/cart').send({ sku: 'tea' }).expect(200);
    const again = await agent.get('/me').expect(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.metadata).toEqual({ cart: ['tea'] });
  });

  it('gives each browser its own guest', async () => {
    const { app } = buildApp();
    const a = await request(app).get('/me');
    const b = await request(app).get('/me');
    expect(a.body.id).not.toBe(b.body.id);
  });

  it('keeps only a reference in req.session, never the record', async () => {
    const sessionStore = new session.MemoryStore();
    const { app } = buildApp({}, sessionStore);
    const res = await request(app).get('/me');
    const sessions = await new Promise<Record<string, unknown>>((resolve) =>
      sessionStore.all((_err, all) => resolve(all as Record<string, unknown>)),
    );
    const stored = Object.values(sessions)[0] as Record<string, unknown>;
    expect(stored.anonymous).toBe(res.body.sessionId);
    expect(JSON.stringify(stored)).not.toContain(res.body.id);
  });

  it('uses the configured id prefix', async () => {
    const { app } = buildApp({ idPrefix: 'guest_' });
    expect((await request(app).get('/me')).body.id).toMatch(/^guest_[0-9a-f-]{36}$/);
  });

  it('refuses metadata over a limit with a 400 naming it, and writes nothing', async () => {
    const { app } = buildApp({ limits: { metadataBytes: 64 } });
    const agent = request.agent(app);
    await agent.patch('/metadata').send({ ok: 1 }).expect(200);
    const res = await agent.patch('/metadata').send({ big: 'x'.repeat(100) }).expect(400);
    expect(res.body).toEqual({ error: 'metadata_too_large', error_description: expect.stringContaining('limits.metadataBytes') });
    expect((await agent.get('/me')).body.metadata).toEqual({ ok: 1 });
  });

  it('revoke ends the session: the next request is a new guest', async () => {
    const { app, anon } = buildApp();
    const agent = request.agent(app);
    const first = (await agent.get('/me')).body;
    await agent.post('/revoke').expect(204);
    expect(await anon.getSession(first.sessionId)).toBeUndefined();
    const next = (await agent.get('/me')).body;
    expect(next.id).not.toBe(first.id);
  });
});

describe('idle and absolute timeouts (frozen clock)', () => {
  it('ends a session left idle past lifetimes.idle', async () => {
    const clock = frozenClock();
    const { app } = buildApp({ clock: clock.now, lifetimes: { idle: 600, absolute: 3600, touchInterval: 60 } });
    const agent = request.agent(app);
    const first = (await agent.get('/me')).body.id;
    clock.advance(599);
    expect((await agent.get('/me')).body.id).toBe(first);
    clock.advance(599); // activity 599 s ago slid the window
    expect((await agent.get('/me')).body.id).toBe(first);
    clock.advance(601);
    expect((await agent.get('/me')).body.id).not.toBe(first);
  });

  it('ends a session at lifetimes.absolute however active it is', async () => {
    const clock = frozenClock();
    const { app } = buildApp({ clock: clock.now, lifetimes: { idle: 600, absolute: 1800, touchInterval: 60 } });
    const agent = request.agent(app);
    const first = (await agent.get('/me')).body.id;
    for (let t = 0; t < 5; t++) {
      clock.advance(300);
      expect((await agent.get('/me')).body.id).toBe(first);
    }
    clock.advance(300);
    expect((await agent.get('/me')).body.id).not.toBe(first);
  });

  it('writes activity back at most once per touchInterval', async () => {
    const clock = frozenClock();
    const store = new MemoryStore({ clock: clock.now });
    const touch = jest.spyOn(store, 'touch');
    const { app } = buildApp({ store, clock: clock.now, lifetimes: { touchInterval: 60 } });
    const agent = request.agent(app);
    await agent.get('/me');
    for (let i = 0; i < 5; i++) await agent.get('/me');
    expect(touch).not.toHaveBeenCalled();
    clock.advance(60);
    await agent.get('/me');
    await agent.get('/me');
    expect(touch).toHaveBeenCalledTimes(1);
  });
});

describe('lazy mode', () => {
  it('stores nothing and sets no cookie until the app writes metadata', async () => {
    const store = new MemoryStore();
    const { app } = buildApp({ persist: 'write', store });
    const agent = request.agent(app);
    const first = await agent.get('/me').expect(200);
    shouldNotSetCookie(first);
    expect(first.body.persisted).toBe(false);
    expect(store.size).toBe(0);

    const write = await agent.post('/cart').send({ sku: 'tea' }).expect(200);
    shouldSetCookie(write);
    expect(store.size).toBe(1);
    const after = await agent.get('/me');
    expect(after.body).toMatchObject({ persisted: true, metadata: { cart: ['tea'] } });
  });
});

describe('skip', () => {
  it('does nothing for requests the predicate matches', async () => {
    const store = new MemoryStore();
    const { app } = buildApp({ store, skip: (req) => req.path === '/me' && req.get('user-agent') === 'bot' });
    const res = await request(app).get('/me').set('User-Agent', 'bot').expect(200);
    expect(res.body).toBeNull();
    shouldNotSetCookie(res);
    expect(store.size).toBe(0);
  });
});

describe('misconfiguration', () => {
  it('mounted without express-session, fails with an error that says what to add', async () => {
    const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, persist: 'always' });
    const app = express();
    app.use(anon.middleware());
    let message = '';
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      message = err.message;
      res.status(500).end();
    });
    await request(app).get('/').expect(500);
    expect(message).toMatch(/mount express-session before anon.middleware\(\)/);
  });

  it('with a secure cookie over plain HTTP (no trust proxy), warns once and mints no guest', async () => {
    const warnings: string[] = [];
    const store = new MemoryStore();
    const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, persist: 'always', store, logger: { warn: (m) => warnings.push(m) } });
    const app = express();
    app.use(session({ secret: 'a secret long enough', resave: false, saveUninitialized: false, cookie: { secure: true } }));
    app.use(anon.middleware());
    app.get('/', (req, res) => res.json({ anonymous: req.anonymous?.id ?? null }));
    for (let i = 0; i < 3; i++) expect((await request(app).get('/').set('X-Forwarded-Proto', 'https')).body.anonymous).toBeNull();
    expect(store.size).toBe(0);
    expect(warnings.filter((w) => /trust proxy/.test(w))).toHaveLength(1);
  });

  it("behind a TLS proxy with app.set('trust proxy') the secure cookie works", async () => {
    const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, persist: 'always' });
    const app = express();
    app.set('trust proxy', 1);
    app.use(session({ secret: 'a secret long enough', resave: false, saveUninitialized: false, cookie: { secure: true } }));
    app.use(anon.middleware());
    app.get('/', (req, res) => res.json({ anonymous: req.anonymous?.id ?? null }));
    const res = await request(app).get('/').set('X-Forwarded-Proto', 'https');
    expect(res.body.anonymous).toMatch(/^anon\|/);
    expect(String(res.headers['set-cookie'])).toMatch(/Secure/);
  });
});
