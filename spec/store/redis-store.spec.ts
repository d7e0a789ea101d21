import type { RedisClientType } from 'redis';
import { RedisStore } from '../../lib';
import { newRecord } from '../../lib/session/record';
import { describeStoreContract } from './store-contract';
import { connectRedis, uniquePrefix } from '../support/redis';

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

  it('refuses a client that is not node-redis, naming the option', () => {
    expect(() => new RedisStore({ client: {} as never })).toThrow('RedisStore.client');
    expect(() => new RedisStore({ client, timeout: 0 })).toThrow('RedisStore.timeout: must be a positive integer');
  });
});
