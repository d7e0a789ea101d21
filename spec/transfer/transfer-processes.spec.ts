import request from 'supertest';
import type { RedisClientType } from 'redis';
import { connectRedis, redisUrl, uniquePrefix } from '../support/redis';
import { startAppProcess, type AppProcess } from '../support/processes';
import { eventually } from '../support/eventually';
import '../support/keys'; // sets EAS_TEST_KEYS: the app processes share one key set, as production would

/** Real app processes sharing one Redis: what "exactly once" has to survive. */
describe('transfer across processes sharing Redis', () => {
  let client: RedisClientType;
  const started: AppProcess[] = [];
  beforeAll(async () => {
    client = await connectRedis();
  });
  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
    await client.close();
  });
  async function start(env: Record<string, string>): Promise<AppProcess> {
    const p = await startAppProcess('transfer-server.ts', { REDIS_URL: redisUrl(), ...env });
    started.push(p);
    return p;
  }

  it('logins racing with one guest on two processes give exactly one transfer', async () => {
    const prefix = uniquePrefix('race');
    for (const id of ['alice', 'bob']) await client.set(`${prefix}user:${id}`, JSON.stringify({ id, name: id, data: {} }));
    const [a, b] = await Promise.all([start({ PREFIX: prefix }), start({ PREFIX: prefix })]);
    const tokens = (await request(a.url).post('/anonymous/token').send({ metadata: { cart: [{ sku: 'tea', quantity: 2 }] } })).body;

    const attempts = Array.from({ length: 10 }, (_, i) =>
      request(i % 2 ? a.url : b.url).post('/login').send({ username: i % 4 < 2 ? 'alice' : 'bob', anonymous_session_token: tokens.session_token }),
    );
    const results = await Promise.all(attempts);
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    const merged = results.filter((r) => r.body.transfer.status === 'merged');
    expect(merged).toHaveLength(1);
    expect(Number(await client.get(`${prefix}merges`))).toBe(1);
    const winner = merged[0].body.user.id as string;
    for (const r of results.filter((x) => x !== merged[0])) {
      expect(['already_transferred', 'conflict']).toContain(r.body.transfer.status);
      expect(r.body.transfer.userId).toBe(winner);
    }
    const carts = await Promise.all(['alice', 'bob'].map(async (id) => JSON.parse((await client.get(`${prefix}user:${id}`))!).data.cart));
    expect(carts.filter(Boolean)).toEqual([[{ sku: 'tea', quantity: 2 }]]);
  });

  it('a process that dies in the middle of a merge leaves the guest intact; the next login transfers it', async () => {
    const prefix = uniquePrefix('crash');
    await client.set(`${prefix}user:alice`, JSON.stringify({ id: 'alice', name: 'alice', data: {} }));
    const doomed = await start({ PREFIX: prefix, CRASH_ON_MERGE: '1', LEASE: '1' });
    const tokens = (await request(doomed.url).post('/anonymous/token').send({ metadata: { cart: [{ sku: 'pen', quantity: 1 }] } })).body;
    await expect(request(doomed.url).post('/login').send({ username: 'alice', anonymous_session_token: tokens.session_token })).rejects.toThrow();
    if (doomed.child.exitCode === null && doomed.child.signalCode === null) await new Promise((resolve) => doomed.child.once('exit', resolve));
    expect(doomed.child.signalCode).toBe('SIGKILL');
    const sid = JSON.parse(Buffer.from(tokens.session_token.split('.')[1], 'base64url').toString()).session_id;
    expect(await client.hmGet(`${prefix}s:{${sid}}`, ['st', 'm'])).toEqual(['active', '{"cart":[{"sku":"pen","quantity":1}]}']);

    const healthy = await start({ PREFIX: prefix, LEASE: '1' });
    // The crashed claim holds the guest until its 1 s lease lapses; then the login transfers it.
    const outcome = await eventually(
      async () => (await request(healthy.url).post('/login').send({ username: 'alice', anonymous_session_token: tokens.session_token })).body.transfer as { status: string },
      (o) => o.status === 'merged',
      5000,
      200,
    );
    expect(outcome.status).toBe('merged');
    expect(JSON.parse((await client.get(`${prefix}user:alice`))!).data.cart).toEqual([{ sku: 'pen', quantity: 1 }]);
  });

  it.each([
    ['an idempotent hook leaves the cart exact', true, 1],
    ['a hook that ignores the transfer id merges twice (why the id is there)', false, 2],
  ])('killed right after the hook wrote, before the claim completed: the retry has the same transfer id and a larger fence; %s', async (_, idempotent, pens) => {
    const prefix = uniquePrefix('crash-after-write');
    await client.set(`${prefix}user:alice`, JSON.stringify({ id: 'alice', name: 'alice', data: {} }));
    const env = { PREFIX: prefix, LEASE: '1', IDEMPOTENT: idempotent ? '1' : '0' };
    const doomed = await start({ ...env, CRASH_AFTER_WRITE: '1' });
    const tokens = (await request(doomed.url).post('/anonymous/token').send({ metadata: { cart: [{ sku: 'pen', quantity: 1 }] } })).body;
    await expect(request(doomed.url).post('/login').send({ username: 'alice', anonymous_session_token: tokens.session_token })).rejects.toThrow();
    if (doomed.child.exitCode === null && doomed.child.signalCode === null) await new Promise((resolve) => doomed.child.once('exit', resolve));
    expect(doomed.child.signalCode).toBe('SIGKILL');
    expect(JSON.parse((await client.get(`${prefix}user:alice`))!).data.cart).toEqual([{ sku: 'pen', quantity: 1 }]); // written

    const healthy = await start(env);
    const outcome = await eventually(
      async () => (await request(healthy.url).post('/login').send({ username: 'alice', anonymous_session_token: tokens.session_token })).body.transfer as { status: string },
      (o) => o.status === 'merged',
      5000,
      200,
    );
    expect(outcome.status).toBe('merged');
    const attempts = (await client.lRange(`${prefix}attempts`, 0, -1)).map((a) => a.split(' '));
    expect(attempts).toHaveLength(2);
    expect(attempts[1][0]).toBe(attempts[0][0]);
    expect(Number(attempts[1][1])).toBeGreaterThan(Number(attempts[0][1]));
    expect(JSON.parse((await client.get(`${prefix}user:alice`))!).data.cart).toEqual([{ sku: 'pen', quantity: pens }]);
  });
});
