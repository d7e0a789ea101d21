import request from 'supertest';
import type { RedisClientType } from 'redis';
import { RedisStore } from '../../lib';
import * as scripts from '../../lib/store/redis-scripts';
import * as lifecycleScripts from '../../lib/store/redis-lifecycle-scripts';
import { buildApp } from '../support/app';
import { connectRedis } from '../support/redis';
import { eventually } from '../support/eventually';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { RedisProxy } from '../support/redis-proxy';
import { memoryUsers, transferApp } from '../support/transfer-app';

/** Redis executed the command, the reply was lost, the client retries. */
describe('a reply lost after Redis executed the command', () => {
  let redis: RedisServer;
  let proxy: RedisProxy;
  let client: RedisClientType;
  beforeAll(async () => {
    redis = await startRedisServer();
    proxy = new RedisProxy(redis.port);
    await proxy.start();
    client = await connectRedis(`redis://127.0.0.1:${proxy.port}`);
    // Load the scripts up front, so the command whose reply is cut is the script itself, not a NOSCRIPT answer.
    const direct = await connectRedis(redis.url);
    for (const script of [...Object.values(scripts), ...Object.values(lifecycleScripts)]) await direct.scriptLoad(script.source);
    direct.destroy();
  });
  afterAll(async () => {
    client.destroy();
    await proxy.stop();
    await redis.stop();
  });

  /** The store's client reconnects after the cut: retry while the answer is still 503. */
  const until200 = (send: () => Promise<request.Response>) => eventually(send, (res) => res.status !== 503);

  it('a metadata update retried with its Idempotency-Key is applied once', async () => {
    const { app } = buildApp({ store: new RedisStore({ client, timeout: 500 }), rateLimit: false });
    const agent = request.agent(app);
    await agent.get('/me').expect(200);
    proxy.loseReplyOf(scripts.CAS_METADATA.sha1);
    const lost = await agent.post('/cart').set('Idempotency-Key', 'add-tea-1').send({ sku: 'tea' });
    expect(lost.status).toBe(503);
    const direct = await connectRedis(redis.url);
    const keys = await direct.keys('eas:s:*');
    expect((await Promise.all(keys.map((k) => direct.hGet(k, 'm')))).filter((m) => m?.includes('tea'))).toHaveLength(1); // it was written
    direct.destroy();
    const retried = await until200(() => agent.post('/cart').set('Idempotency-Key', 'add-tea-1').send({ sku: 'tea' }));
    expect(retried.status).toBe(200);
    expect(retried.body.cart).toEqual(['tea']);
    expect((await agent.get('/me')).body.metadata.cart).toEqual(['tea']);
  });

  it('a guest creation retried with its Idempotency-Key gives one guest', async () => {
    const { app } = buildApp({ store: new RedisStore({ client, timeout: 500, prefix: 'idem:' }), rateLimit: false }, undefined, (a, anon) => a.use(anon.router()));
    proxy.loseReplyOf(lifecycleScripts.CREATE_INDEXED.sha1); // on one server, creation files the index in the same script
    const lost = await request(app).post('/anonymous/token').set('Idempotency-Key', '9b2f6c1e-0d4a-4c8e-9f7a-3e5b1d2c4a60').send({ metadata: { cart: ['tea'] } });
    expect(lost.status).toBe(503);
    const retried = await until200(() => request(app).post('/anonymous/token').set('Idempotency-Key', '9b2f6c1e-0d4a-4c8e-9f7a-3e5b1d2c4a60').send({ metadata: { cart: ['tea'] } }));
    const again = await request(app).post('/anonymous/token').set('Idempotency-Key', '9b2f6c1e-0d4a-4c8e-9f7a-3e5b1d2c4a60').send({ metadata: { cart: ['tea'] } }).expect(200);
    const sub = (t: string) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()).sub;
    expect(sub(again.body.access_token)).toBe(sub(retried.body.access_token));
    const direct = await connectRedis(redis.url);
    expect(await direct.keys('idem:s:{*}')).toHaveLength(1); // the session records (not their notes, `…}:i`)
    direct.destroy();
    const other = await request(app).post('/anonymous/token').set('Idempotency-Key', '1e7d3a9c-5b2f-4e6d-8a0c-7f9b2d4e6a13').send({}).expect(200);
    expect(sub(other.body.access_token)).not.toBe(sub(retried.body.access_token));
  });

  it('a login retried after the transfer completed but its reply was lost merges nothing twice', async () => {
    const users = memoryUsers([{ id: 'ann', name: 'Ann', data: {} }]);
    let merges = 0;
    const { app } = transferApp({ users, store: new RedisStore({ client, timeout: 500 }), onMerge: () => void (merges += 1) });
    const tokens = (await until200(() => request(app).post('/anonymous/token').send({ metadata: { cart: [{ sku: 'pen', quantity: 1 }] } }))).body;
    proxy.loseReplyOf(scripts.COMPLETE_CLAIM.sha1);
    const lost = await request(app).post('/login').send({ username: 'ann', anonymous_session_token: tokens.session_token });
    // Redis did execute it: the session is transferred although the app never heard back.
    const direct = await connectRedis(redis.url);
    const sid = JSON.parse(Buffer.from(tokens.session_token.split('.')[1], 'base64url').toString()).session_id;
    expect(await direct.hGet(`eas:s:{${sid}}`, 'st')).toBe('transferred');
    direct.destroy();
    expect({ status: lost.status, body: lost.body, merges }).toMatchObject({ status: 503 });
    const retried = await until200(() => request(app).post('/login').send({ username: 'ann', anonymous_session_token: tokens.session_token }));
    expect(retried.body.transfer).toMatchObject({ status: 'already_transferred', userId: 'ann', sameUser: true });
    expect(merges).toBe(1);
    expect(users.all.get('ann')!.data.cart).toEqual([{ sku: 'pen', quantity: 1 }]);
  });
});
