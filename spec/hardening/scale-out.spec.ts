import request from 'supertest';
import type { RedisClientType } from 'redis';
import { connectRedis, redisUrl, uniquePrefix } from '../support/redis';
import { startAppProcess, type AppProcess } from '../support/processes';
import '../support/keys'; // EAS_TEST_KEYS: the processes share one key set

/** Three app processes on loopback ports sharing one Redis. */
describe('scale-out: three processes, one Redis', () => {
  let client: RedisClientType;
  let procs: AppProcess[];
  let prefix: string;
  beforeAll(async () => {
    client = await connectRedis();
    prefix = uniquePrefix('scale');
    procs = await Promise.all([0, 1, 2].map(() => startAppProcess('transfer-server.ts', { REDIS_URL: redisUrl(), PREFIX: prefix, RATE_POINTS: '6' })));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await client.close();
  });
  const cookieOf = (res: request.Response) => (res.headers['set-cookie'] as unknown as string[])[0].split(';')[0];

  it('a guest created on one process is the same guest on the others, by cookie and by token', async () => {
    const first = await request(procs[0].url).get('/me').set('X-Forwarded-For', '198.51.100.10');
    const cookie = cookieOf(first);
    for (const p of procs) expect((await request(p.url).get('/me').set('Cookie', cookie)).body.guest.id).toBe(first.body.guest.id);
    const tokens = (await request(procs[1].url).post('/anonymous/token').set('X-Forwarded-For', '198.51.100.11').send({})).body;
    for (const p of procs) {
      const renewed = await request(p.url).post('/anonymous/token').send({ session_token: tokens.session_token }).expect(200);
      const sub = JSON.parse(Buffer.from(renewed.body.access_token.split('.')[1], 'base64url').toString()).sub;
      expect(sub).toBe(JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString()).sub);
    }
  });

  it('metadata updates from different processes all land', async () => {
    const cookie = cookieOf(await request(procs[0].url).get('/me').set('X-Forwarded-For', '198.51.100.12'));
    const skus = Array.from({ length: 30 }, (_, i) => `sku-${i}`);
    const results = await Promise.all(skus.map((sku, i) => request(procs[i % 3].url).post('/cart').set('Cookie', cookie).send({ sku, quantity: 1 })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const cart = (await request(procs[2].url).get('/me').set('Cookie', cookie)).body.guest.metadata.cart as Array<{ sku: string }>;
    expect(cart.map((l) => l.sku).sort()).toEqual([...skus].sort());
  });

  it('the creation limit holds in total across processes, not per process', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push((await request(procs[i % 3].url).post('/anonymous/token').set('X-Forwarded-For', '203.0.113.200').send({})).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
  });

  it('a transfer raced across the three processes happens once', async () => {
    await client.set(`${prefix}user:zoe`, JSON.stringify({ id: 'zoe', name: 'zoe', data: {} }));
    const tokens = (await request(procs[0].url).post('/anonymous/token').set('X-Forwarded-For', '198.51.100.13').send({ metadata: { cart: [{ sku: 'tea', quantity: 1 }] } })).body;
    const results = await Promise.all(Array.from({ length: 9 }, (_, i) => request(procs[i % 3].url).post('/login').send({ username: 'zoe', anonymous_session_token: tokens.session_token })));
    expect(results.filter((r) => r.body.transfer.status === 'merged')).toHaveLength(1);
    expect(JSON.parse((await client.get(`${prefix}user:zoe`))!).data.cart).toEqual([{ sku: 'tea', quantity: 1 }]);
  });
});
