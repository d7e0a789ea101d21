import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { createClient, type RedisClientType } from 'redis';
import { RedisStore, anonymousSessions } from '../../lib';
import { AUDIENCE, ISSUER } from '../support/app';
import { TEST_KEYS } from '../support/keys';
import { newRecord } from '../../lib/session/record';
import { describeStoreContract } from './store-contract';
import { connectRedis, redisUrl, uniquePrefix } from '../support/redis';

let client: RedisClientType;
beforeAll(async () => {
  client = await connectRedis();
});
afterAll(async () => {
  await client.close();
});

describeStoreContract('RedisStore', async () => ({
  store: new RedisStore({ client, prefix: uniquePrefix('contract') }),
  now: Date.now,
}));

describe('RedisStore keys and expiry', () => {
  it('keeps one hash per session, hash-tagged, expiring by Redis TTL at expiresAt plus the grace the reaper gets', async () => {
    const prefix = uniquePrefix('keys');
    const store = new RedisStore({ client, prefix, grace: 60 });
    const r = newRecord({ userId: 'anon|a', metadata: '{}', now: Date.now(), lifetimes: { idle: 100, absolute: 1000 } });
    await store.create(r);
    const key = `${prefix}s:{${r.sessionId}}`;
    expect(store.key(r.sessionId)).toBe(key);
    expect(await client.type(key)).toBe('hash');
    const pexpireAt = await client.pExpireTime(key);
    expect(pexpireAt).toBe(r.expiresAt + 60_000);
    await store.touch(r.sessionId, r.lastSeenAt + 10_000, r.expiresAt + 10_000);
    expect(await client.pExpireTime(key)).toBe(r.expiresAt + 10_000 + 60_000);
  });

  it('reloads its scripts after Redis forgets them (SCRIPT FLUSH, as after a restart)', async () => {
    const store = new RedisStore({ client, prefix: uniquePrefix('noscript') });
    const r = newRecord({ userId: 'anon|a', metadata: '{}', now: Date.now(), lifetimes: { idle: 100, absolute: 1000 } });
    await client.scriptFlush();
    expect(await store.create(r)).toBe(true);
    expect((await store.get(r.sessionId))?.userId).toBe('anon|a');
  });

  it('while the client is not connected, fails fast with a 503 error and queues nothing (memory stays flat)', async () => {
    const offline = { isReady: false, evalSha: jest.fn(), eval: jest.fn() };
    const store = new RedisStore({ client: offline, retryAfter: 3 });
    await expect(store.get('any')).rejects.toMatchObject({ status: 503, headers: { 'Retry-After': '3' } });
    await expect(store.create(newRecord({ userId: 'anon|a', metadata: '{}', now: Date.now(), lifetimes: { idle: 1, absolute: 1 } }))).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    expect(offline.evalSha).not.toHaveBeenCalled();
    expect(offline.eval).not.toHaveBeenCalled();
  });

  it('a client the app never connected: every request is a 503, and the log says once to call client.connect()', async () => {
    const forgotten = createClient({ url: redisUrl() }); // no connect()
    const warnings: string[] = [];
    const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, store: new RedisStore({ client: forgotten }), persist: 'always', logger: { warn: (m) => warnings.push(m) } });
    const app = express();
    app.use(session({ secret: 'a redis store test secret', resave: false, saveUninitialized: false, cookie: anon.cookieOptions() }));
    app.use(anon.middleware());
    app.get('/', (_req, res) => res.end());
    app.use(anon.errorHandler());
    for (let i = 0; i < 2; i++) {
      const res = await request(app).get('/').expect(503);
      expect(res.body).toEqual({ error: 'temporarily_unavailable', error_description: 'The anonymous session store is unavailable' }); // nothing internal shown
    }
    const outage = warnings.filter((w) => w.includes('503'));
    expect(outage).toHaveLength(1);
    expect(outage[0]).toMatch(/503 .*call await client\.connect\(\) before serving requests/);
    await expect(anon.createSession()).rejects.toMatchObject({ cause: { message: expect.stringMatching(/client\.connect\(\)/) } });
    await anon.close();
  });

  it('refuses a client that is not node-redis, naming the option', () => {
    expect(() => new RedisStore({ client: {} as never })).toThrow('RedisStore.client');
    expect(() => new RedisStore({ client, timeout: 0 })).toThrow('RedisStore.timeout: must be a positive integer');
  });
});
