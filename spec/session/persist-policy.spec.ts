import express, { type Express } from 'express';
import session from 'express-session';
import request from 'supertest';
import { anonymousSessions, MemoryStore, type AnonymousSessionsOptions } from '../../lib';
import { ISSUER, AUDIENCE } from '../support/app';
import { TEST_KEYS } from '../support/keys';
import { internals } from '../support/internals';
import { shouldBeOAuthError } from '../support/oauth';

const BROWSER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36';

/** A shop as the README sets it up, with the default persistence policy unless a test says otherwise. */
function shop(options: Partial<AnonymousSessionsOptions> = {}, signedIn = false) {
  const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, ...options });
  const app = express();
  app.set('trust proxy', true); // tests pick client addresses with X-Forwarded-For
  app.use(express.json());
  app.use(session({ secret: 'test secret that is long enough', resave: false, saveUninitialized: false }));
  if (signedIn) {
    // As passport.session() leaves a logged-in request.
    app.use((req, _res, next) => {
      (req as unknown as { isAuthenticated: () => boolean }).isAuthenticated = () => true;
      next();
    });
  }
  app.use(anon.middleware());
  app.use(anon.router());
  app.get('/', (req, res) => res.type('html').send(`<p>${req.anonymous?.id ?? 'no guest'}</p>`));
  app.get('/favicon.ico', (_req, res) => res.type('image/x-icon').send(Buffer.alloc(4)));
  app.get('/api/products', (_req, res) => res.json([{ sku: 'tea' }]));
  app.post('/cart', async (req, res) => res.json(await req.anonymous!.update({ cart: [req.body.sku] })));
  app.use(anon.errorHandler());
  const stored = () => (internals(anon).store as MemoryStore).size;
  return { app, anon, stored };
}

const visit = (app: Express, ip = '198.51.100.7') => request(app).get('/').set('User-Agent', BROWSER).set('X-Forwarded-For', ip);

describe("persist: 'page-view' (the default)", () => {
  it('stores the guest of a successful page view and keeps it across page loads', async () => {
    const { app, stored } = shop();
    const agent = request.agent(app);
    const first = await agent.get('/').set('User-Agent', BROWSER).expect(200);
    expect(first.headers['set-cookie']).toBeDefined();
    expect(stored()).toBe(1);
    const again = await agent.get('/').set('User-Agent', BROWSER);
    expect(again.text).toBe(first.text);
    expect(stored()).toBe(1);
  });

  it.each([
    ['a 404', (app: Express) => request(app).get('/nowhere').set('User-Agent', BROWSER)],
    ['a favicon', (app: Express) => request(app).get('/favicon.ico').set('User-Agent', BROWSER)],
    ['a HEAD', (app: Express) => request(app).head('/').set('User-Agent', BROWSER)],
    ['a CORS preflight', (app: Express) => request(app).options('/cart').set('User-Agent', BROWSER).set('Origin', 'https://spa.example').set('Access-Control-Request-Method', 'POST')],
    ['an API call without a token', (app: Express) => request(app).get('/api/products').set('User-Agent', BROWSER)],
    ['a known crawler', (app: Express) => request(app).get('/').set('User-Agent', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)')],
    ['a client without a User-Agent', (app: Express) => request(app).get('/').unset('User-Agent')],
  ])('%s stores no guest and sets no cookie', async (_name, send) => {
    const { app, stored } = shop();
    const res = await send(app);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(stored()).toBe(0);
  });

  it('stores a provisional guest on its first write, whatever the request', async () => {
    const { app, stored } = shop();
    const res = await request(app).post('/cart').send({ sku: 'tea' }).expect(200);
    expect(res.body).toEqual({ cart: ['tea'] });
    expect(res.headers['set-cookie']).toBeDefined();
    expect(stored()).toBe(1);
  });
});

describe('the default creation limit', () => {
  it('lets 100 shoppers behind one IPv4 address each browse and add to cart within a minute, 404s and favicons not counted', async () => {
    const { app, stored } = shop();
    for (let i = 0; i < 30; i++) await request(app).get('/favicon.ico').set('User-Agent', BROWSER).set('X-Forwarded-For', '203.0.113.9');
    const added: number[] = [];
    for (let shopper = 0; shopper < 100; shopper++) {
      const agent = request.agent(app);
      await agent.get('/').set('User-Agent', BROWSER).set('X-Forwarded-For', '203.0.113.9').expect(200);
      added.push((await agent.post('/cart').set('X-Forwarded-For', '203.0.113.9').send({ sku: 'tea' })).status);
    }
    expect(added.filter((s) => s === 200)).toHaveLength(100);
    expect(stored()).toBe(100);
  });

  it('holds a flood from one address to the limit: past it pages still render, for guests that are not stored', async () => {
    const { app, stored } = shop();
    const statuses = new Set<number>();
    for (let i = 0; i < 150; i++) statuses.add((await visit(app, '192.0.2.66')).status);
    expect([...statuses]).toEqual([200]);
    expect(stored()).toBe(120);
    shouldBeOAuthError(await request(app).post('/anonymous/token').set('X-Forwarded-For', '192.0.2.66').send({}), 429, 'rate_limited');
  });

  it('asks the challenge hook past the limit instead of refusing', async () => {
    const asked: string[] = [];
    const challenge = (req: express.Request) => {
      asked.push(req.ip ?? '');
      return req.get('x-challenge-token') === 'solved';
    };
    const { app, stored } = shop({ rateLimit: { points: 2, duration: 60, challenge } });
    await visit(app, '192.0.2.70');
    await visit(app, '192.0.2.70');
    expect(asked).toEqual([]);
    shouldBeOAuthError(await request(app).post('/anonymous/token').set('X-Forwarded-For', '192.0.2.70').send({}), 429, 'challenge_required');
    const solved = await request(app).post('/anonymous/token').set('X-Forwarded-For', '192.0.2.70').set('X-Challenge-Token', 'solved').send({});
    expect(solved.status).toBe(200);
    expect(asked).toEqual(['192.0.2.70', '192.0.2.70']);
    expect(stored()).toBe(3);
  });
});

describe('signed-in users', () => {
  it('get no guest by default: their cart belongs to their account', async () => {
    const { app, stored } = shop({}, true);
    const res = await visit(app).expect(200);
    expect(res.text).toBe('<p>no guest</p>');
    expect(stored()).toBe(0);
  });

  it('get one with guestsForSignedInUsers', async () => {
    const { app, stored } = shop({ guestsForSignedInUsers: true }, true);
    expect((await visit(app)).text).toMatch(/anon\|/);
    expect(stored()).toBe(1);
  });
});
