import { anonymousSessions, RedisStore } from '../../lib';
import { AUDIENCE, ISSUER } from '../support/app';
import { TEST_KEYS } from '../support/keys';
import { connectRedis } from '../support/redis';
import { newRecord } from '../../lib/session/record';
import { bucketOf, slotOf, userHash } from '../../lib/store/lifecycle';
import { useRedisClient } from '../support/redis-client';
import { uniquePrefix } from '../support/redis';
import { internals } from '../support/internals';
import { describeLifecycle, movableClock } from './lifecycle-contract';

const client = useRedisClient();
const LIFETIMES = { idle: 3600, absolute: 86_400 };

describe('RedisStore indexes: keys and what they hold', () => {
  it('files a guest under a 6-byte hash of its id and 6 bytes in its expiry slot, on its bucket’s slot', async () => {
    const prefix = uniquePrefix('layout');
    const store = new RedisStore({ client: client(), prefix });
    const r = newRecord({ userId: 'anon|layout', metadata: '{}', now: Date.now(), lifetimes: LIFETIMES });
    await store.create(r);
    const hash = userHash(r.userId);
    const bucket = `${prefix}b:{${bucketOf(hash)}}:`;
    expect(await client().hLen(`${bucket}u`)).toBe(1);
    expect(await client().strLen(`${bucket}q:${slotOf(r.expiresAt)}`)).toBe(6);
    expect(await client().hGet(`${bucket}m`, 'n')).toBe('1');
    expect(await store.guests.findSessions('anon|layout')).toEqual([r]);
  });

  it('an expired record waiting for the reaper is not brought back by activity', async () => {
    const store = new RedisStore({ client: client(), prefix: uniquePrefix('touch') });
    const r = newRecord({ userId: 'anon|t', metadata: '{}', now: Date.now(), lifetimes: LIFETIMES });
    await store.create(r);
    expect(await store.touch(r.sessionId, r.expiresAt, r.expiresAt + 3_600_000)).toBe(false);
    expect((await store.get(r.sessionId))?.expiresAt).toBe(r.expiresAt);
  });

  it('reindex files sessions stored before the index existed, once, and gives them the grace period', async () => {
    const prefix = uniquePrefix('reindex');
    const store = new RedisStore({ client: client(), prefix, grace: 600 });
    const r = newRecord({ userId: 'anon|old', metadata: '{"cart":[1]}', now: Date.now(), lifetimes: LIFETIMES });
    // As the previous version wrote it: the hash only, expiring at expiresAt.
    const key = store.key(r.sessionId);
    await client().hSet(key, { u: r.userId, c: r.createdAt, s: r.lastSeenAt, e: r.expiresAt, a: r.absoluteExpiresAt, m: r.metadata, st: 'active', v: '0' });
    await client().pExpireAt(key, r.expiresAt);
    expect(await store.guests.findSessions('anon|old')).toEqual([]);
    expect(await store.reindex()).toEqual({ scanned: 1, indexed: 1 });
    expect(await store.guests.findSessions('anon|old')).toEqual([r]);
    expect(await client().pExpireTime(key)).toBe(r.expiresAt + 600_000);
    expect(await store.reindex()).toEqual({ scanned: 1, indexed: 0 });
  });

  it('erase leaves no notes behind: idempotency entry, tickets and their notes are gone', async () => {
    const prefix = uniquePrefix('notes');
    const store = new RedisStore({ client: client(), prefix });
    const r = newRecord({ userId: 'anon|noted', metadata: '{}', now: Date.now(), lifetimes: LIFETIMES });
    await store.putIfAbsent('idem-key', r.sessionId, Date.now() + 60_000, Date.now());
    await store.create(r);
    await store.putTicket('ticket-1', r.sessionId, Date.now() + 30_000);
    const notes = [`${store.key(r.sessionId)}:i`, `${store.key(r.sessionId)}:t`, `${prefix}i:{idem-key}`, `${prefix}t:{ticket-1}`];
    expect(await client().exists(notes)).toBe(4);
    expect(await store.guests.eraseGuest('anon|noted')).toMatchObject({ sessionIds: [r.sessionId], tickets: 1, idempotencyKeys: 1 });
    expect(await client().exists([store.key(r.sessionId), ...notes])).toBe(0);
    expect(await store.guests.countGuests()).toEqual({ guests: 0, sessions: 0 });
  });
});

describe('the reaper on Redis after a long absence', () => {
  it('catches up over days of empty expiry slots in one pass', async () => {
    const store = new RedisStore({ client: client(), prefix: uniquePrefix('absence'), grace: 5 * 86_400 });
    let now = Date.now() - 4 * 86_400_000;
    const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, store, clock: () => now, rateLimit: false, lifecycle: { reaper: false }, lifetimes: { idle: 3600, absolute: 86_400 } });
    const delivered: string[] = [];
    anon.on('expired', (e) => void delivered.push(e.sessionId));
    const first = await anon.createSession();
    now += 2 * 3_600_000;
    await anon.admin.reap(); // the last pass for days
    now += 3 * 86_400_000;
    const second = await anon.createSession({ userId: first.userId }); // same bucket, filed 432 (empty) slots further on
    now += 2 * 3_600_000;
    expect(await anon.admin.reap()).toMatchObject({ expired: 1, delivered: 1 });
    expect(delivered).toEqual([first.sessionId, second.sessionId]);
    anon.close();
  });
});

describe('the in-app reaper on Redis', () => {
  it('stops by itself, without a word, once the app closed its Redis client', async () => {
    const own = await connectRedis();
    const logged: string[] = [];
    const anon = anonymousSessions({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: TEST_KEYS,
      store: new RedisStore({ client: own, prefix: uniquePrefix('closed') }),
      logger: { warn: (m) => void logged.push(m), error: (m) => void logged.push(m) },
      lifecycle: { reaper: { interval: 1 } },
    });
    await own.close();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(logged).toEqual([]);
    expect((internals(anon).reaper as unknown as { timer: unknown }).timer).toBeUndefined();
  });
});

// A proxy that shards one endpoint refuses cross-slot scripts: `cluster: true` keeps every script to one slot.
describeLifecycle('RedisStore with cluster: true on one server', async () => ({
  store: new RedisStore({ client: client(), prefix: uniquePrefix('one-slot'), cluster: true }),
  clock: movableClock(),
}));
