import { RedisStore } from '../../lib';
import { newRecord } from '../../lib/session/record';
import { describeStoreContract } from './store-contract';
import { useLocalCluster } from '../support/redis-cluster';
import { uniquePrefix } from '../support/redis';
import request from 'supertest';
import { RedisStore as SessionRedisStore } from 'connect-redis';
import { buildApp } from '../support/app';

/** The RedisStore on a node-redis cluster client against a local 3-master Redis Cluster. */
const local = useLocalCluster();

describeStoreContract('RedisStore on Redis Cluster', async () => ({
  store: new RedisStore({ client: local.client(), prefix: uniquePrefix('cluster') }),
  now: Date.now,
}));

describe('RedisStore on Redis Cluster: keys spread over the masters', () => {
  it('stores sessions on every master, each operation on one slot (no CROSSSLOT)', async () => {
    const store = new RedisStore({ client: local.client(), prefix: uniquePrefix('spread') });
    const records = Array.from({ length: 60 }, (_, i) => newRecord({ userId: `anon|${i}`, metadata: '{}', now: Date.now(), lifetimes: { idle: 60, absolute: 600 } }));
    for (const r of records) expect(await store.create(r)).toBe(true);
    for (const r of records) expect((await store.get(r.sessionId))?.userId).toBe(r.userId);
    const perMaster = await Promise.all(local.client().masters.map(async (m) => (await local.client().nodeClient(m)).dbSize()));
    expect(perMaster.filter((n) => n > 0)).toHaveLength(3);
  });
});

describe('the cookie path on Redis Cluster (connect-redis and RedisStore on one cluster client)', () => {
  it('keeps the guest across requests and app instances, and its updates', async () => {
    const prefix = uniquePrefix('cluster-app');
    const make = () => buildApp({ store: new RedisStore({ client: local.client(), prefix }), rateLimit: false }, new SessionRedisStore({ client: local.client(), prefix: `${prefix}sess:` })).app;
    const [a, b] = [make(), make()];
    const first = await request(a).get('/me').expect(200);
    const cookie = (first.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    await request(b).post('/cart').set('Cookie', cookie).send({ sku: 'tea' }).expect(200);
    const again = await request(a).get('/me').set('Cookie', cookie).expect(200);
    expect(again.body).toMatchObject({ id: first.body.id, metadata: { cart: ['tea'] } });
  });
});
