import request from 'supertest';
import { RedisStore as SessionRedisStore } from 'connect-redis';
import { RedisStore } from '../../lib';
import { buildApp } from '../support/app';
import { uniquePrefix } from '../support/redis';
import { useRedisClient } from '../support/redis-client';

/** Two app instances (as two processes would be) sharing one Redis for express-session and anonymous sessions. */
describe('cookie path on Redis (connect-redis + RedisStore)', () => {
  const redis = useRedisClient();

  function twoApps() {
    const prefix = uniquePrefix('cookie');
    const client = redis();
    const make = () =>
      buildApp(
        { store: new RedisStore({ client, prefix }) },
        new SessionRedisStore({ client, prefix: `${prefix}sess:` }),
      ).app;
    return [make(), make()] as const;
  }

  it('a guest created through one instance is the same guest on the other', async () => {
    const [a, b] = twoApps();
    const first = await request(a).get('/me');
    const cookie = (first.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    const second = await request(b).get('/me').set('Cookie', cookie).expect(200);
    expect(second.body.id).toBe(first.body.id);
  });

  it('parallel updates from many tabs on both instances lose nothing', async () => {
    const [a, b] = twoApps();
    const first = await request(a).get('/me');
    const cookie = (first.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    const skus = Array.from({ length: 40 }, (_, i) => `sku-${i}`);
    const results = await Promise.all(
      skus.map((sku, i) => request(i % 2 ? a : b).post('/cart').set('Cookie', cookie).send({ sku })),
    );
    expect(results.map((r) => r.status)).toEqual(skus.map(() => 200));
    const final = await request(b).get('/me').set('Cookie', cookie);
    expect([...(final.body.metadata.cart as string[])].sort()).toEqual([...skus].sort());
  });
});
