import request from 'supertest';
import type { RedisClientType } from 'redis';
import { connectRedis } from '../support/redis';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { startAppProcess, type AppProcess } from '../support/processes';
import { eventually } from '../support/eventually';
import { hashPassword, type Account } from '../../example-app/users';
import '../support/keys'; // sets EAS_TEST_KEYS: the shop processes share one key set, as production would

/**
 * The example shop's own transfer hook, in two processes on one Redis. The shop's keys are fixed (`shop:`), so it
 * gets a Redis of its own here rather than the shared one.
 */
describe('the example shop: transfers into one account across two processes', () => {
  let redis: RedisServer;
  let client: RedisClientType;
  const started: AppProcess[] = [];
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    redis = await startRedisServer();
    client = await connectRedis(redis.url);
    [a, b] = await Promise.all([shop(), shop()]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
    await client?.close();
    await redis?.stop();
  });
  // Every test creates guests from 127.0.0.1, and the shop limits creations per address (30 a minute, counted in this
  // Redis across its processes): each test starts with a fresh count.
  beforeEach(async () => {
    for await (const keys of client.scanIterator({ MATCH: 'shop:anon:rl:*' })) if (keys.length > 0) await client.del(keys);
  });
  async function shop(env: Record<string, string> = {}): Promise<AppProcess> {
    const p = await startAppProcess('example-server.ts', { REDIS_URL: redis.url, ...env });
    started.push(p);
    return p;
  }

  const PASSWORD = 'correct horse';
  async function account(username: string, cart: unknown[]): Promise<void> {
    const ada: Account = { id: username, username, passwordHash: await hashPassword(PASSWORD), data: { cart } as Account['data'] };
    await client.set(`shop:user:${username}`, JSON.stringify(ada));
  }
  const accountOf = async (username: string): Promise<Account> => JSON.parse((await client.get(`shop:user:${username}`))!) as Account;
  /** A mobile guest with a cart: its session token. */
  async function guest(url: string, cart: Array<{ sku: string; quantity: number }>): Promise<string> {
    const tokens = (await request(url).post('/anonymous/token').send({ client_id: 'shop-mobile' }).expect(200)).body;
    await request(url).put('/api/cart').set('Authorization', `Bearer ${tokens.access_token}`).send({ cart }).expect(200);
    return tokens.session_token as string;
  }
  const apiLogin = (url: string, username: string, token: string) =>
    request(url).post('/api/login').send({ username, password: PASSWORD, anonymous_session_token: token }).then((r) => r);

  it('two devices, each a guest with a cart, logging into one account at the same moment: both carts land, in every run', async () => {
    await account('ada', [{ sku: 'kettle', quantity: 1 }]);
    const expected = new Map([['kettle', 1]]);
    for (let run = 0; run < 8; run++) {
      const phone = await guest(a.url, [{ sku: 'tea-sencha', quantity: 1 }]);
      const laptop = await guest(b.url, [{ sku: 'tea-sencha', quantity: 1 }, { sku: 'mug-stone', quantity: 1 }]);
      const results = await Promise.all([apiLogin(a.url, 'ada', phone), apiLogin(b.url, 'ada', laptop)]);
      expect(results.map((r) => [r.status, r.body.transfer])).toEqual([[200, 'merged'], [200, 'merged']]);
      expected.set('tea-sencha', (expected.get('tea-sencha') ?? 0) + 2).set('mug-stone', (expected.get('mug-stone') ?? 0) + 1);
      const cart = (await accountOf('ada')).data.cart as Array<{ sku: string; quantity: number }>;
      expect(new Map(cart.map((l) => [l.sku, l.quantity]))).toEqual(expected);
    }
    expect((await accountOf('ada')).transfers).toHaveLength(16);
  });

  it('a process killed right after the hook wrote the account: the retry on the other process merges nothing twice', async () => {
    await account('lin', [{ sku: 'kettle', quantity: 1 }]);
    const doomed = await shop({ CRASH_AFTER_HOOK: '1' });
    const token = await guest(doomed.url, [{ sku: 'tea-earl', quantity: 2 }]);
    await expect(request(doomed.url).post('/api/login').send({ username: 'lin', password: PASSWORD, anonymous_session_token: token })).rejects.toThrow();
    if (doomed.child.exitCode === null && doomed.child.signalCode === null) await new Promise((resolve) => doomed.child.once('exit', resolve));
    expect(doomed.child.signalCode).toBe('SIGKILL');
    const written = await accountOf('lin');
    expect(written.data.cart).toEqual([{ sku: 'kettle', quantity: 1 }, { sku: 'tea-earl', quantity: 2 }]);
    expect(written.transfers).toHaveLength(1);

    // The crashed attempt's claim and account lease last transfer.lease (30 s in the shop); lapse them now, as
    // those 30 s would, rather than wait.
    const sessionId = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).session_id as string;
    await client.hSet(`shop:anon:s:{${sessionId}}`, 'cx', '0');
    await client.del(`shop:anon:l:{${Buffer.from('lin').toString('base64url')}}`);

    const retry = await eventually(() => apiLogin(b.url, 'lin', token), (r) => r.body.transfer === 'merged', 5000, 100);
    expect(retry.body).toEqual({ username: 'lin', cart: [{ sku: 'kettle', quantity: 1 }, { sku: 'tea-earl', quantity: 2 }], transfer: 'merged' });
    const after = await accountOf('lin');
    expect(after.data.cart).toEqual([{ sku: 'kettle', quantity: 1 }, { sku: 'tea-earl', quantity: 2 }]);
    expect(after.transfers).toEqual(written.transfers);
    // and the guest is spent now
    expect((await apiLogin(a.url, 'lin', token)).body.transfer).toBe('already_transferred');
  });
});
