import { EventEmitter } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createClient, type RedisClientType } from 'redis';
import { RedisStore, anonymousSessions } from '../../lib';
import { newRecord } from '../../lib/session/record';
import { RedisReadCache, type TrackingClient } from '../../lib/store/redis-read-cache';
import { describeStoreContract } from './store-contract';
import { eventually } from '../support/eventually';
import { connectRedis, connectThroughProxy, redisUrl, uniquePrefix } from '../support/redis';
import { startRedisServer } from '../support/redis-server';

const LIFETIMES = { idle: 3600, absolute: 86400 };
const record = () => newRecord({ userId: 'anon|cached', metadata: '{"cart":[1]}', now: Date.now(), lifetimes: LIFETIMES });

let client: RedisClientType;
let other: RedisClientType; // another process's connection
const opened: RedisStore[] = [];
beforeAll(async () => {
  [client, other] = await Promise.all([connectRedis(), connectRedis()]);
});
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await Promise.all([client.close(), other.close()]);
});

/** A store with `cache` on, once its tracking connection is confirmed (reads before that go to Redis). */
async function cachedStore(prefix: string, cache: ConstructorParameters<typeof RedisStore>[0]['cache'] = true): Promise<RedisStore> {
  const store = new RedisStore({ client, prefix, cache });
  opened.push(store);
  const stats = await eventually(async () => store.cacheStats(), (s) => s.tracking, 5000, 10);
  if (!stats.tracking) throw new Error('the read cache never confirmed client tracking (Redis 6+ is needed)');
  return store;
}

/** A guest created and read once through a cached store (so it is held), and a store of "another process". */
async function heldGuest(label: string) {
  const prefix = uniquePrefix(label);
  const store = await cachedStore(prefix);
  const elsewhere = new RedisStore({ client: other, prefix });
  const r = record();
  await store.create(r);
  await store.get(r.sessionId);
  return { store, elsewhere, r };
}

describeStoreContract('RedisStore with cache', async () => ({
  store: await cachedStore(uniquePrefix('cache-contract')),
  now: Date.now,
}));

describe('RedisStore cache: a returning guest costs no round trip', () => {
  it('reads a record from Redis once, then from the process', async () => {
    const store = await cachedStore(uniquePrefix('hits'));
    const r = record();
    await store.create(r);
    for (let i = 0; i < 5; i++) expect(await store.get(r.sessionId)).toEqual(r);
    expect(store.cacheStats()).toMatchObject({ misses: 1, hits: 4, entries: 1, tracking: true });
  });

  it('hands out copies: a caller changing its record does not change the next reader\'s', async () => {
    const store = await cachedStore(uniquePrefix('copies'));
    const r = record();
    await store.create(r);
    const first = (await store.get(r.sessionId))!;
    first.metadata = 'changed by the caller';
    expect((await store.get(r.sessionId))!.metadata).toBe(r.metadata);
  });

  it('never keeps a missing record (unknown ids cannot fill the cache)', async () => {
    const store = await cachedStore(uniquePrefix('absent'));
    expect(await store.get('no-such-session')).toBeUndefined();
    expect(await store.get('no-such-session')).toBeUndefined();
    expect(store.cacheStats()).toMatchObject({ hits: 0, entries: 0 });
  });

  it('holds at most maxEntries records', async () => {
    const store = await cachedStore(uniquePrefix('bound'), { maxEntries: 2 });
    const rs = [record(), record(), record()];
    for (const r of rs) await store.create(r);
    for (const r of rs) await store.get(r.sessionId);
    expect(store.cacheStats().entries).toBe(2);
    for (const r of rs) expect(await store.get(r.sessionId)).toEqual(r); // an evicted one is read again, correctly
  });

  it('does not serve a record past its expiry', async () => {
    const store = await cachedStore(uniquePrefix('expiry'));
    const r = newRecord({ userId: 'anon|short', metadata: '{}', now: Date.now(), lifetimes: { idle: 1, absolute: 1 } });
    await store.create(r);
    expect(await store.get(r.sessionId)).toEqual(r);
    await new Promise((resolve) => setTimeout(resolve, r.expiresAt - Date.now() + 20));
    expect(await store.get(r.sessionId)).toBeUndefined();
  });
});

describe('RedisStore cache: never older than a change', () => {
  it('this process\'s own writes are read back at once (revoke, metadata, touch), without waiting for the push', async () => {
    // Through a proxy that holds every invalidation push for a second: only the store's own bookkeeping can help.
    const { proxy, client: slowPushes, close } = await connectThroughProxy();
    const store = new RedisStore({ client: slowPushes, prefix: uniquePrefix('own'), cache: true });
    expect(await eventually(async () => store.cacheStats().tracking, Boolean, 5000, 10)).toBe(true);
    proxy.pushDelayMs = 1000;
    try {
      const r = record();
      await store.create(r);
      await store.get(r.sessionId); // cached
      expect(await store.compareAndSetMetadata(r.sessionId, r.version, '{"cart":[2]}', Date.now())).toMatchObject({ status: 'ok' });
      expect((await store.get(r.sessionId))!.metadata).toBe('{"cart":[2]}');
      await store.touch(r.sessionId, r.lastSeenAt + 5000, r.expiresAt + 5000);
      expect((await store.get(r.sessionId))!.expiresAt).toBe(r.expiresAt + 5000);
      await store.revoke(r.sessionId, Date.now());
      expect((await store.get(r.sessionId))!.state).toBe('revoked');
    } finally {
      await store.close();
      await close();
    }
  });

  it('another process\'s revocation reaches it within a network hop', async () => {
    const { store, elsewhere, r } = await heldGuest('other');
    expect(await store.get(r.sessionId)).toMatchObject({ state: 'active' });
    expect(store.cacheStats().hits).toBe(1);
    await elsewhere.revoke(r.sessionId, Date.now());
    const seen = await eventually(() => store.get(r.sessionId), (x) => x?.state === 'revoked', 1000, 1);
    expect(seen).toMatchObject({ state: 'revoked' });
  });

  it('a change made outside the library (a plain HSET, a DEL) is seen too', async () => {
    const { store, r } = await heldGuest('outside');
    await other.hSet(store.key(r.sessionId), 'm', '{"edited":true}');
    expect(await eventually(() => store.get(r.sessionId), (x) => x?.metadata === '{"edited":true}', 1000, 1)).toMatchObject({ metadata: '{"edited":true}' });
    await other.del(store.key(r.sessionId));
    expect(await eventually(() => store.get(r.sessionId), (x) => x === undefined, 1000, 1)).toBeUndefined();
  });

  it('a connection that silently stops delivering serves nothing past maxStaleness: a revocation is seen without waiting for the ping timeout', async () => {
    const { proxy, client: proxied, close } = await connectThroughProxy();
    const prefix = uniquePrefix('silent');
    const store = new RedisStore({ client: proxied, prefix, timeout: 400, cache: { maxStaleness: 200 } });
    const elsewhere = new RedisStore({ client: other, prefix });
    try {
      expect(await eventually(async () => store.cacheStats().tracking, Boolean, 5000, 10)).toBe(true);
      const r = record();
      await store.create(r);
      await store.get(r.sessionId);
      await new Promise((res) => setTimeout(res, 300)); // pings keep vouching past maxStaleness
      expect(await store.get(r.sessionId)).toMatchObject({ state: 'active' });
      expect(store.cacheStats().hits).toBeGreaterThanOrEqual(1);
      proxy.silence('eas-read-cache'); // the cache's connection: open, but its pushes and replies never arrive
      const revokedAt = Date.now();
      await elsewhere.revoke(r.sessionId, revokedAt);
      const seen = await eventually(() => store.get(r.sessionId), (x) => x?.state === 'revoked', 5000, 10);
      expect(seen).toMatchObject({ state: 'revoked' });
      // maxStaleness, then one cache read bounded by timeout / 4; the ping timeout (2 s) has not even fired yet
      expect(Date.now() - revokedAt).toBeLessThan(1500);
    } finally {
      await store.close();
      await close();
    }
  });

  it('when its tracking connection drops, it forgets everything and reads from Redis until tracking is back', async () => {
    const { store, elsewhere, r } = await heldGuest('killed');
    // Kill the cache's connection, then change the record while no push can reach this process.
    const list = (await other.sendCommand(['CLIENT', 'LIST'])) as string;
    const ids = list.split('\n').filter((line) => / name=eas-read-cache /.test(line)).map((line) => /^id=(\d+)/.exec(line)![1]);
    for (const id of ids) await other.sendCommand(['CLIENT', 'KILL', 'ID', id]);
    await elsewhere.revoke(r.sessionId, Date.now());
    expect(await eventually(() => store.get(r.sessionId), (x) => x?.state === 'revoked', 1000, 1)).toMatchObject({ state: 'revoked' });
    // It reconnects, confirms tracking again and caches again.
    await eventually(async () => store.cacheStats(), (s) => s.tracking, 5000, 10);
    await store.get(r.sessionId);
    const before = store.cacheStats().hits;
    expect(await store.get(r.sessionId)).toMatchObject({ state: 'revoked' });
    expect(store.cacheStats().hits).toBe(before + 1);
  });
});

describe('RedisStore cache: options', () => {
  it('refuses what it cannot serve, naming the option', () => {
    expect(() => new RedisStore({ client, cache: { maxEntries: 0 } })).toThrow('RedisStore.cache.maxEntries: must be a positive integer');
    expect(() => new RedisStore({ client, cache: { maxEntrys: 5 } as never })).toThrow('RedisStore.cache');
    expect(() => new RedisStore({ client, cache: 'yes' as never })).toThrow('RedisStore.cache: must be true, false or { maxEntries, maxStaleness }');
    expect(() => new RedisStore({ client, cache: { maxStaleness: 50 } })).toThrow('RedisStore.cache.maxStaleness: must be at least 100 (milliseconds), got 50');
    expect(() => new RedisStore({ client, cache: { maxStaleness: 1.5 } })).toThrow('RedisStore.cache.maxStaleness: must be a positive integer');
    expect(() => new RedisStore({ client, cluster: true, cache: true })).toThrow(/RedisStore\.cache: .*Redis Cluster/);
    expect(() => new RedisStore({ client: { evalSha: jest.fn(), eval: jest.fn() }, cache: true })).toThrow(/RedisStore\.cache: needs a createClient\(\) client .*not a pool or client\.legacy\(\)/);
    // the cache's own options, one level too high
    expect(() => new RedisStore({ client, cache: true, maxStaleness: 500 } as never)).toThrow('RedisStore.maxStaleness: belongs inside cache: new RedisStore({ client, cache: { maxStaleness: … } })');
    expect(() => anonymousSessions({ issuer: 'https://shop.example', audience: 'api', cache: true } as never)).toThrow(/cache: is an option of RedisStore: .*new RedisStore\(\{ client, cache: true \}\)/);
    expect(() => new RedisStore({ client, logger: {} as never })).toThrow('RedisStore.logger: must have a warn(message) method');
    // a callback client would fail every script later with an unrelated message
    expect(() => new RedisStore({ client: client.legacy() as never })).toThrow('RedisStore.client: is a client.legacy() (callbacks): pass the createClient() client it wraps (promises)');
    // Redis would name its keys in UTF-8 as another string: invalidations would never match
    expect(() => new RedisStore({ client, prefix: 'shop\uD800:' })).toThrow('RedisStore.prefix: must be well-formed Unicode');
  });

  it('keeps its connection under a client whose socketTimeout closes idle connections (the cache idles when it works)', async () => {
    const idleClosing = createClient({ url: redisUrl(), disableOfflineQueue: true, socket: { socketTimeout: 300 } }) as RedisClientType;
    idleClosing.on('error', () => undefined);
    await idleClosing.connect();
    const store = new RedisStore({ client: idleClosing, prefix: uniquePrefix('idle'), cache: true });
    try {
      expect(await eventually(async () => store.cacheStats().tracking, Boolean, 5000, 10)).toBe(true);
      const r = record();
      await store.create(r);
      await store.get(r.sessionId);
      await new Promise((resolve) => setTimeout(resolve, 900)); // three socketTimeouts with nothing on the cache's connection
      expect(await store.get(r.sessionId)).toEqual(r);
      expect(store.cacheStats()).toMatchObject({ tracking: true, hits: 1 });
    } finally {
      await store.close();
      if (idleClosing.isOpen) idleClosing.destroy(); // its own socketTimeout may have closed it
    }
  });

  it('stays off, with a warning, when the client moved to another database by SELECT (it would read another one)', async () => {
    const moved = await connectRedis();
    await moved.select(1);
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const warnings = () => warn.mock.calls.map((call) => String(call[0]));
    const prefix = uniquePrefix('db');
    const store = new RedisStore({ client: moved, prefix, cache: true });
    try {
      const r = record();
      await store.create(r);
      await eventually(async () => warnings(), (w) => w.some((m) => m.includes('database')), 3000, 10);
      expect(warnings().join('\n')).toMatch(/RedisStore\.cache: .*database 0, the client's on 1/);
      expect(await store.get(r.sessionId)).toEqual(r); // read from the client's database
      expect(store.cacheStats().tracking).toBe(false);
    } finally {
      warn.mockRestore();
      await store.close();
      moved.destroy();
    }
  });

  it('is on by default for a createClient() client: the second read of a guest costs no round trip', async () => {
    const store = new RedisStore({ client, prefix: uniquePrefix('default-on') });
    opened.push(store);
    expect(await eventually(async () => store.cacheStats().tracking, Boolean, 5000, 10)).toBe(true);
    const r = record();
    await store.create(r);
    await store.get(r.sessionId);
    expect(await store.get(r.sessionId)).toEqual(r);
    expect(store.cacheStats()).toMatchObject({ enabled: true, hits: 1, misses: 1, entries: 1 });
  });

  it('cache: false reads every record from Redis, and its stats say it is off', async () => {
    const store = new RedisStore({ client, prefix: uniquePrefix('off'), cache: false });
    const r = record();
    await store.create(r);
    await store.get(r.sessionId);
    await other.hSet(store.key(r.sessionId), 'm', '{"edited":true}');
    expect((await store.get(r.sessionId))!.metadata).toBe('{"edited":true}'); // at once, no push to wait for
    expect(store.cacheStats()).toEqual({ enabled: false, hits: 0, misses: 0, entries: 0, tracking: false });
  });

  it('by default, stays off without a word for a client it cannot use (cache: true makes that an error)', () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const pool = { evalSha: jest.fn(), eval: jest.fn() }; // no duplicate(): a pool or client.legacy()
      expect(new RedisStore({ client: pool as never }).cacheStats().enabled).toBe(false);
      expect(new RedisStore({ client, cluster: true }).cacheStats().enabled).toBe(false);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('by default, turns itself off with one warning naming cache: false when Redis refuses tracking (an ACL, Redis 5), and asks no more', async () => {
    const user = `eas-no-tracking-${process.pid}-${Date.now()}`;
    await other.sendCommand(['ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', '-client']);
    const limited = createClient({ url: redisUrl(), username: user, password: 'pw', disableOfflineQueue: true }) as RedisClientType;
    limited.on('error', () => undefined);
    const warned: string[] = [];
    try {
      await limited.connect();
      const store = new RedisStore({ client: limited, prefix: uniquePrefix('acl'), logger: { warn: (m) => warned.push(m) } });
      await eventually(async () => warned.length, (n) => n > 0, 3000, 10);
      expect(warned).toEqual([expect.stringMatching(/RedisStore\.cache: Redis refused to set up client tracking \(NOPERM.*\); the cache stays off \(it is on by default: new RedisStore\(\{ client, cache: false \}\) leaves it off without this warning\)/)]);
      expect(store.cacheStats()).toMatchObject({ enabled: false, tracking: false });
      const r = record();
      await store.create(r);
      expect(await store.get(r.sessionId)).toEqual(r); // read the ordinary way
      await new Promise((resolve) => setTimeout(resolve, 400)); // past the first retry's pause (100 ms)
      const clients = String(await other.sendCommand(['CLIENT', 'LIST']));
      expect(clients.split('\n').filter((line) => line.includes(`user=${user} `)).length).toBe(1); // the client's own, no tracking retry
      expect(warned).toHaveLength(1);
      await store.close();
    } finally {
      if (limited.isOpen) await limited.close();
      await other.sendCommand(['ACL', 'DELUSER', user]);
    }
  });

  it('closes quietly with its client: an app that closes the client but not the store hears nothing when Redis goes away', async () => {
    const server = await startRedisServer();
    const own = await connectRedis(server.url);
    const warned: string[] = [];
    const store = new RedisStore({ client: own, prefix: uniquePrefix('ends'), logger: { warn: (m) => warned.push(m) } });
    try {
      expect(await eventually(async () => store.cacheStats().tracking, Boolean, 5000, 10)).toBe(true);
      const r = record();
      await store.create(r);
      await store.get(r.sessionId);
      await own.close(); // the app's shutdown, without store.close()
      expect(store.cacheStats()).toMatchObject({ enabled: false, tracking: false, entries: 0 });
      await server.stop();
      await new Promise((resolve) => setTimeout(resolve, 300)); // past the first reconnect pause (100 ms)
      expect(warned).toEqual([]);
    } finally {
      if (own.isOpen) own.destroy();
      await server.stop();
    }
  });

  it('serves nothing until Redis has reported a change on its connection: a path that drops invalidations turns it off', async () => {
    const { proxy, client: proxied, close } = await connectThroughProxy();
    proxy.pushDelayMs = 10_000; // pushes held back: replies (pings included) still flow
    const warned: string[] = [];
    const prefix = uniquePrefix('canary');
    const store = new RedisStore({ client: proxied, prefix, logger: { warn: (m) => warned.push(m) } });
    try {
      const r = record();
      await store.create(r);
      await store.get(r.sessionId);
      await other.hSet(store.key(r.sessionId), 'm', '{"changed":1}');
      expect((await store.get(r.sessionId))!.metadata).toBe('{"changed":1}'); // never served from a cache without pushes
      await eventually(async () => store.cacheStats().enabled, (on) => !on, 8000, 20);
      expect(store.cacheStats()).toMatchObject({ enabled: false, tracking: false, hits: 0 });
      expect(warned.at(-1)).toMatch(/RedisStore\.cache: Redis never reported a change to a key its connection had read \(three connections, 1000 ms each\).*; the cache stays off \(it is on by default: new RedisStore\(\{ client, cache: false \}\)/);
    } finally {
      await store.close();
      await close();
    }
  });

  it('a slow read goes to Redis the ordinary way and keeps the connection: no reconnect, no warning', async () => {
    const { proxy, client: proxied, close } = await connectThroughProxy();
    const warned: string[] = [];
    const store = new RedisStore({ client: proxied, prefix: uniquePrefix('slow'), timeout: 800, logger: { warn: (m) => warned.push(m) } });
    try {
      expect(await eventually(async () => store.cacheStats().tracking, Boolean, 5000, 10)).toBe(true);
      const rs = [record(), record(), record()];
      for (const r of rs) await store.create(r);
      proxy.delayMs = 250; // each reply over the cache's 200 ms read budget, well under the store's timeout
      for (const r of rs) expect(await store.get(r.sessionId)).toEqual(r);
      proxy.delayMs = 0;
      expect(store.cacheStats().tracking).toBe(true);
      expect(warned).toEqual([]);
    } finally {
      await store.close();
      await close();
    }
  });

  it('two stores on one client and prefix read back each other\'s writes at once (not one push later)', async () => {
    const { proxy, client: proxied, close } = await connectThroughProxy();
    const prefix = uniquePrefix('siblings');
    const [first, second] = [new RedisStore({ client: proxied, prefix }), new RedisStore({ client: proxied, prefix })];
    try {
      for (const s of [first, second]) expect(await eventually(async () => s.cacheStats().tracking, Boolean, 5000, 10)).toBe(true);
      const r = record();
      await first.create(r);
      expect((await second.get(r.sessionId))?.state).toBe('active');
      expect((await second.get(r.sessionId))?.state).toBe('active'); // held by the second store's cache
      proxy.pushDelayMs = 1000;
      expect(await first.revoke(r.sessionId, Date.now())).toBe(true);
      expect(await second.get(r.sessionId)).toMatchObject({ state: 'revoked' });
    } finally {
      await Promise.all([first.close(), second.close()]);
      await close();
    }
  });

  it('sets its connection up again whenever the app\'s client reconnects (it may have followed a failover elsewhere)', async () => {
    const own = await connectRedis();
    const store = new RedisStore({ client: own, prefix: uniquePrefix('follows') });
    try {
      expect(await eventually(async () => store.cacheStats().tracking, Boolean, 5000, 10)).toBe(true);
      const r = record();
      await store.create(r);
      await store.get(r.sessionId);
      await store.get(r.sessionId);
      expect(store.cacheStats()).toMatchObject({ hits: 1, entries: 1 });
      const reconnected = new Promise((resolve) => own.once('ready', resolve));
      await other.sendCommand(['CLIENT', 'KILL', 'ID', String(await own.clientId())]);
      await reconnected;
      expect(store.cacheStats()).toMatchObject({ entries: 0, tracking: false }); // nothing from the old connection
      expect(await eventually(async () => store.cacheStats().tracking, Boolean, 5000, 10)).toBe(true);
      expect(await store.get(r.sessionId)).toEqual(r);
      expect(store.cacheStats()).toMatchObject({ hits: 1, misses: 2 }); // read again through the new connection
    } finally {
      await store.close();
      await own.close();
    }
  });

  it('a store the app lets go of without close() gives its connection back when garbage-collected', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const server = await startRedisServer();
    const own = await connectRedis(server.url);
    const caches = async () => String(await own.sendCommand(['CLIENT', 'LIST'])).split('\n').filter((line) => line.includes('name=eas-read-cache')).length;
    try {
      await (async () => {
        const stores = Array.from({ length: 5 }, () => new RedisStore({ client: own, prefix: uniquePrefix('dropped') }));
        await eventually(async () => stores.every((s) => s.cacheStats().tracking), Boolean, 5000, 10);
      })();
      expect(await caches()).toBe(5);
      const left = await eventually(async () => (gc(), await new Promise((resolve) => setTimeout(resolve, 20)), caches()), (n) => n === 0, 5000, 50);
      expect(left).toBe(0);
    } finally {
      await own.close();
      await server.stop();
    }
  });

  it('reports to the logger it is given, not process warnings', async () => {
    const moved = await connectRedis();
    await moved.select(1);
    const warned: string[] = [];
    const emitted = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const store = new RedisStore({ client: moved, prefix: uniquePrefix('logger'), cache: true, logger: { warn: (m) => warned.push(m) } });
    try {
      await eventually(async () => warned.length, (n) => n > 0, 3000, 10);
      expect(warned).toEqual([expect.stringMatching(/^express-anonymous-session: RedisStore\.cache: .*database 0, the client's on 1/)]);
      expect(emitted).not.toHaveBeenCalled();
    } finally {
      emitted.mockRestore();
      await store.close();
      await moved.close();
    }
  });
});

/** A tracking connection under the test's control: replies when told, pushes invalidations when told. */
class FakeTracker extends EventEmitter implements TrackingClient {
  isReady = true;
  replies: Array<(hash: Record<string, string>) => void> = [];
  connect = async () => {
    queueMicrotask(() => this.emit('ready'));
  };
  answersPing = true;
  destroyed = false;
  sendCommand = (args: string[]): Promise<unknown> => {
    if (args[0] === 'HGETALL') return new Promise<Record<string, string>>((resolve) => this.replies.push(resolve));
    if (args[0] === 'PING') return this.answersPing ? Promise.resolve('PONG') : new Promise(() => undefined);
    return Promise.resolve({ flags: ['on'] });
  };
  unref = () => undefined;
  destroy = () => {
    this.destroyed = true;
    this.isReady = false;
  };
}

describe('RedisReadCache: a reply and an invalidation that cross', () => {
  const caches: Array<RedisReadCache<string>> = [];
  afterAll(() => caches.forEach((c) => c.close()));
  async function live(timing = { maxStaleness: 60_000, pingEvery: 60_000, pingTimeout: 1000, maxRetryDelay: 10 }): Promise<{ cache: RedisReadCache<string>; tracker: FakeTracker; opened: FakeTracker[] }> {
    const opened: FakeTracker[] = [];
    const cache = new RedisReadCache<string>(() => {
      opened.push(new FakeTracker());
      return opened.at(-1)!;
    }, 10, () => undefined, undefined, timing);
    caches.push(cache);
    await eventually(async () => cache.stats().tracking, Boolean, 1000, 1);
    return { cache, tracker: opened[0], opened };
  }
  const v = (h: unknown) => (h as { v: string }).v;

  it('does not keep a reply when the key was invalidated before the reply was handled', async () => {
    const { cache, tracker } = await live();
    const read = cache.load('k', v);
    tracker.replies.shift()!({ v: 'old' });
    tracker.emit('invalidate', 'k'); // parsed right after the reply, before the read continues
    expect(await read).toBe('old');
    expect(cache.peek('k')).toBeUndefined();
  });

  it('marks every read of the key in flight, not only the last one', async () => {
    const { cache, tracker } = await live();
    const first = cache.load('k', v);
    const second = cache.load('k', v);
    tracker.replies.shift()!({ v: 'v1' });
    await first;
    tracker.replies.shift()!({ v: 'v1' });
    tracker.emit('invalidate', 'k');
    await second;
    expect(cache.peek('k')).toBeUndefined();
  });

  it('does not keep a reply when this process wrote the key meanwhile, nor after the connection dropped', async () => {
    const { cache, tracker } = await live();
    const read = cache.load('k', v);
    cache.written(['k']);
    tracker.replies.shift()!({ v: 'before the write' });
    await read;
    expect(cache.peek('k')).toBeUndefined();

    const again = cache.load('k', v);
    tracker.emit('end');
    tracker.replies.shift()!({ v: 'from a dead connection' });
    await again;
    expect(cache.peek('k')).toBeUndefined();
    expect(cache.stats().tracking).toBe(false);
  });

  it('drops everything on a flush (invalidate null) and keeps an undisturbed reply', async () => {
    const { cache, tracker } = await live();
    const read = cache.load('k', v);
    tracker.replies.shift()!({ v: 'kept' });
    await read;
    expect(cache.peek('k')).toBe('kept');
    tracker.emit('invalidate', null);
    expect(cache.peek('k')).toBeUndefined();
  });

  it('replaces a connection that stops answering pings (an idle connection a NAT dropped): empty until the new one is confirmed', async () => {
    const { cache, tracker, opened } = await live({ maxStaleness: 60_000, pingEvery: 20, pingTimeout: 20, maxRetryDelay: 10 });
    const read = cache.load('k', v);
    tracker.replies.shift()!({ v: 'kept' });
    await read;
    expect(cache.peek('k')).toBe('kept');
    tracker.answersPing = false; // its pushes may be lost too: nothing it vouched for may be served
    await eventually(async () => opened.length, (n) => n >= 2, 2000, 5);
    expect(tracker.destroyed).toBe(true);
    expect(cache.peek('k')).toBeUndefined();
    expect(await eventually(async () => cache.stats().tracking, Boolean, 1000, 1)).toBe(true);
  });

  it('stops serving when its connection has vouched for nothing within maxStaleness, long before a ping times out', async () => {
    const { cache, tracker, opened } = await live({ maxStaleness: 80, pingEvery: 20, pingTimeout: 5_000, maxRetryDelay: 10 });
    const read = cache.load('k', v);
    tracker.replies.shift()!({ v: 'kept' });
    await read;
    await new Promise((r) => setTimeout(r, 200)); // answered pings keep vouching
    expect(cache.peek('k')).toBe('kept');
    tracker.answersPing = false; // silent, not closed: no error, no end, no ping timeout yet
    await new Promise((r) => setTimeout(r, 200));
    expect(cache.peek('k')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ tracking: true, entries: 1 });
    expect(opened).toHaveLength(1);
    // A read answered on the same connection came after every push sent before it: it vouches again.
    const again = cache.load('k', v);
    tracker.replies.shift()!({ v: 'kept' });
    await again;
    expect(cache.peek('k')).toBe('kept');
  });

  it('replaces a connection that never finishes setting up (no answer to its tracking check), instead of waiting on it', async () => {
    const opened: FakeTracker[] = [];
    const cache = new RedisReadCache<string>(() => {
      const tracker = new FakeTracker();
      if (opened.length === 0) tracker.sendCommand = () => new Promise(() => undefined); // connected, never answers
      opened.push(tracker);
      return tracker;
    }, 10, () => undefined, undefined, { maxStaleness: 60_000, pingEvery: 60_000, pingTimeout: 50, maxRetryDelay: 10 });
    caches.push(cache);
    expect(await eventually(async () => cache.stats().tracking, Boolean, 2000, 5)).toBe(true);
    expect(opened).toHaveLength(2);
    expect(opened[0].destroyed).toBe(true);
  });

  it('turns itself off for a set-up refusal that will not change (NOPERM), and retries one that will (BUSY)', async () => {
    class ErrorReply extends Error {} // node-redis's class name for an error Redis answered
    const attempt = async (reply: string) => {
      const opened: FakeTracker[] = [];
      const warned: string[] = [];
      const cache = new RedisReadCache<string>(() => {
        const t = new FakeTracker();
        if (opened.length === 0) t.connect = async () => Promise.reject(new ErrorReply(reply));
        opened.push(t);
        return t;
      }, 10, (m) => warned.push(m), undefined, { maxStaleness: 60_000, pingEvery: 60_000, pingTimeout: 1000, maxRetryDelay: 10 });
      caches.push(cache);
      await new Promise((resolve) => setTimeout(resolve, 300)); // well past the first retry's pause
      return { opened: opened.length, stats: cache.stats(), warned };
    };
    const refused = await attempt("NOPERM this user has no permissions to run the 'client|tracking' command");
    expect(refused).toMatchObject({ opened: 1, stats: { enabled: false, tracking: false } });
    expect(refused.warned).toEqual([expect.stringMatching(/Redis refused to set up client tracking \(NOPERM .*\); the cache stays off/)]);
    const busy = await attempt('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT.');
    expect(busy).toMatchObject({ opened: 2, stats: { enabled: true, tracking: true } });
  });

  it('warns about a flapping connection at most once a minute', async () => {
    const warned: string[] = [];
    const opened: FakeTracker[] = [];
    const cache = new RedisReadCache<string>(() => {
      opened.push(new FakeTracker());
      return opened.at(-1)!;
    }, 10, (m) => warned.push(m), undefined, { maxStaleness: 60_000, pingEvery: 60_000, pingTimeout: 1000, maxRetryDelay: 10 });
    caches.push(cache);
    for (let i = 0; i < 5; i++) {
      await eventually(async () => cache.stats().tracking, Boolean, 1000, 1);
      opened.at(-1)!.emit('error', new Error(`reset ${i}`));
    }
    expect(await eventually(async () => cache.stats().tracking, Boolean, 1000, 1)).toBe(true);
    expect(opened).toHaveLength(6);
    expect(warned).toEqual([expect.stringContaining('the tracking connection failed (reset 0)')]);
  });

  it('replaces a connection that reports an error, even one still open', async () => {
    const { cache, tracker, opened } = await live();
    const read = cache.load('k', v);
    tracker.replies.shift()!({ v: 'kept' });
    await read;
    tracker.emit('error', new Error('decoder error'));
    expect(cache.peek('k')).toBeUndefined();
    expect(tracker.destroyed).toBe(true);
    await eventually(async () => opened.length, (n) => n >= 2, 1000, 1);
    expect(await eventually(async () => cache.stats().tracking, Boolean, 1000, 1)).toBe(true);
  });
});
