import request from 'supertest';

/** A page view stores the guest only for a visitor that is not a known crawler (persist: 'page-view'). */
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { childrenOf, isRunning, npmKeygen, startShopProcess, type ShopProcess } from './shop-process';

/**
 * The README's recipe for several processes, black-box: each process gets the same REDIS_URL, ANON_KEYS (from
 * `npm run -s keygen`), SESSION_SECRET and PUBLIC_URL. A private redis-server keeps other tests' keys apart.
 */
let redis: RedisServer;
let shared: Record<string, string>;
beforeAll(async () => {
  redis = await startRedisServer();
  shared = { REDIS_URL: redis.url, ANON_KEYS: await npmKeygen(), SESSION_SECRET: 'a-session-secret-shared-by-every-process', PUBLIC_URL: 'http://shop.test' };
}, 30_000);
afterAll(() => redis?.stop());

const bearer = (token: string) => `Bearer ${token}`;
const subjectOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sub as string;

describe('two processes on one Redis, started separately', () => {
  let a: ShopProcess;
  let b: ShopProcess;
  beforeAll(async () => {
    [a, b] = await Promise.all([startShopProcess({ ...shared, PORT: '0' }), startShopProcess({ ...shared, PORT: '0' })]);
  }, 30_000);
  afterAll(() => Promise.all([a?.stop(), b?.stop()]));

  it('a guest made on one renews, calls the API and logs in on the other', async () => {
    const tokens = (await request(a.url).post('/anonymous/token').send({ client_id: 'shop-mobile' }).expect(200)).body;
    const renewed = (await request(b.url).post('/anonymous/token').send({ client_id: 'shop-mobile', session_token: tokens.session_token }).expect(200)).body;
    expect(subjectOf(renewed.access_token)).toBe(subjectOf(tokens.access_token));

    // A token minted by one process is accepted by the other, both ways.
    await request(b.url).put('/api/cart').set('Authorization', bearer(tokens.access_token)).send({ cart: [{ sku: 'kettle', quantity: 1 }] }).expect(200);
    expect((await request(a.url).get('/api/cart').set('Authorization', bearer(renewed.access_token)).expect(200)).body).toEqual({ cart: [{ sku: 'kettle', quantity: 1 }] });

    await request(a.url).post('/signup').set('Origin', a.url).type('form').send({ username: 'ada', password: 'correct horse' }).expect(303);
    const login = await request(b.url).post('/api/login').send({ username: 'ada', password: 'correct horse', anonymous_session_token: tokens.session_token }).expect(200);
    expect(login.body).toEqual({ username: 'ada', cart: [{ sku: 'kettle', quantity: 1 }], transfer: 'merged' });
    // ...and the process that minted the guest's token sees that it has ended.
    expect((await request(a.url).get('/api/cart').set('Authorization', bearer(tokens.access_token))).status).toBe(401);
  });

  it("a browser's guest is the same on both (a cookie is per host, not per port)", async () => {
    const home = await request(a.url).get('/').set('User-Agent', BROWSER).expect(200);
    const cookie = (home.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    const guest = /data-testid="who">(.*?)<\/span>/.exec(home.text)![1];
    await request(b.url).post('/cart/add').set('Cookie', cookie).set('Origin', b.url).type('form').send({ sku: 'tea-earl' }).expect(303);
    const cartOnA = await request(a.url).get('/cart').set('Cookie', cookie).expect(200);
    expect(cartOnA.text).toContain(guest);
    expect(cartOnA.text).toMatch(/data-testid="line-tea-earl"/);
  });
});

describe('REDIS_URL with ANON_KEYS and SESSION_SECRET: a restart loses nothing', () => {
  it("keeps a browser's cart and a mobile client's tokens across a restart", async () => {
    const before = await startShopProcess({ ...shared, PORT: '0' });
    let cookie: string;
    let tokens: { access_token: string; session_token: string };
    try {
      const home = await request(before.url).get('/').set('User-Agent', BROWSER).expect(200);
      cookie = (home.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
      await request(before.url).post('/cart/add').set('Cookie', cookie).set('Origin', before.url).type('form').send({ sku: 'mug-stone' }).expect(303);
      tokens = (await request(before.url).post('/anonymous/token').send({ client_id: 'shop-mobile' }).expect(200)).body;
    } finally {
      await before.stop();
    }
    const after = await startShopProcess({ ...shared, PORT: '0' });
    try {
      expect((await request(after.url).get('/cart').set('Cookie', cookie).expect(200)).text).toMatch(/data-testid="line-mug-stone"/);
      await request(after.url).get('/api/cart').set('Authorization', bearer(tokens.access_token)).expect(200);
      await request(after.url).post('/anonymous/token').send({ client_id: 'shop-mobile', session_token: tokens.session_token }).expect(200);
    } finally {
      await after.stop();
    }
  }, 30_000);
});

describe('WORKERS=2 on one port', () => {
  let shop: ShopProcess;
  beforeAll(async () => {
    // No secret and no keys: the primary makes them once and every worker gets the same.
    shop = await startShopProcess({ REDIS_URL: redis.url, WORKERS: '2', PORT: '0' });
  }, 30_000);
  afterAll(() => shop?.stop());

  it('runs two worker processes under one primary', async () => {
    expect(await childrenOf(shop.pid)).toHaveLength(2);
  });

  it('accepts tokens and cookies on every connection, whichever worker takes it', async () => {
    // A new connection per request: node:cluster hands connections to the workers in turn.
    const tokens = (await request(shop.url).post('/anonymous/token').set('Connection', 'close').send({ client_id: 'shop-mobile' }).expect(200)).body;
    const home = await request(shop.url).get('/').set('User-Agent', BROWSER).set('Connection', 'close').expect(200);
    const cookie = (home.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    const guest = /data-testid="who">(.*?)<\/span>/.exec(home.text)![1];
    for (let i = 0; i < 6; i++) {
      await request(shop.url).get('/api/cart').set('Connection', 'close').set('Authorization', bearer(tokens.access_token)).expect(200);
      expect((await request(shop.url).get('/').set('Connection', 'close').set('Cookie', cookie).expect(200)).text).toContain(guest);
    }
  });

  it('stops its workers and itself on SIGTERM', async () => {
    const workers = await childrenOf(shop.pid);
    expect(await shop.stop()).toBe(0);
    for (const pid of workers) expect(isRunning(pid)).toBe(false);
  });
});
