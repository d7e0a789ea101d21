import { SimpleError, type RedisClientType } from 'redis';
import { RedisStore, StoreUnavailableError } from '../../lib';
import { newRecord } from '../../lib/session/record';
import { connectRedis, uniquePrefix } from '../support/redis';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { eventually } from '../support/eventually';

const record = () => newRecord({ userId: 'anon|a', metadata: '{}', now: Date.now(), lifetimes: { idle: 60, absolute: 600 } });

/** A client whose every script answers with `error`. */
function answering(error: Error) {
  return { evalSha: jest.fn().mockRejectedValue(error), eval: jest.fn().mockRejectedValue(error) };
}

describe("RedisStore: Redis's error replies", () => {
  it.each([
    'CLUSTERDOWN The cluster is down',
    'TRYAGAIN Multiple keys request during rehashing of slot',
    'LOADING Redis is loading the dataset in memory',
    "READONLY You can't write against a read only replica.",
    'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no',
    'OOM command not allowed when used memory > maxmemory',
  ])('a transient reply (%s) is an outage: 503 with Retry-After', async (message) => {
    const store = new RedisStore({ client: answering(new SimpleError(message)), retryAfter: 2 });
    await expect(store.get('s')).rejects.toMatchObject({ code: 'temporarily_unavailable', headers: { 'Retry-After': '2' } });
  });

  it('any other reply is a bug, surfaced as it is (a 500), not a 503 that hides it', async () => {
    const bug = new SimpleError('ERR Error running script (call to f_1234): user_script:1: Script attempted to access nonexistent global variable');
    const store = new RedisStore({ client: answering(bug) });
    await expect(store.get('s')).rejects.toBe(bug);
  });
});

describe('RedisStore waitForReplicas: WAIT after a transfer completes', () => {
  let master: RedisServer;
  let replica: RedisServer;
  let client: RedisClientType;

  beforeAll(async () => {
    master = await startRedisServer(undefined, ['--repl-diskless-sync-delay', '0']); // a replica syncs at once, not after 5 s
    replica = await startRedisServer(undefined, ['--replicaof', '127.0.0.1', String(master.port)]);
    client = await connectRedis(master.url);
    await eventually(async () => String(await client.sendCommand(['INFO', 'replication'])), (info) => info.includes('state=online'));
  });
  afterAll(async () => {
    client.destroy();
    await Promise.all([replica.stop(), master.stop()]);
  });

  const claimed = async (store: RedisStore) => {
    const r = record();
    await store.create(r);
    await store.claim(r.sessionId, { token: 't', userId: 'alice', leaseUntil: Date.now() + 30_000, now: Date.now() });
    return r;
  };

  it('completes once the replica has the write', async () => {
    const store = new RedisStore({ client, prefix: uniquePrefix('wait'), waitForReplicas: { replicas: 1, timeout: 200 } });
    const r = await claimed(store);
    expect(await store.completeClaim(r.sessionId, 't', Date.now())).toBe(true);
    expect((await store.get(r.sessionId))?.state).toBe('transferred');
  });

  it('a claim already lost is answered as before, without waiting', async () => {
    const store = new RedisStore({ client, prefix: uniquePrefix('wait'), waitForReplicas: { replicas: 1, timeout: 200 } });
    const r = await claimed(store);
    expect(await store.completeClaim(r.sessionId, 'another token', Date.now())).toBe(false);
  });

  it('without the replica, fails after the WAIT timeout with a 503: the completion is on the master only', async () => {
    const store = new RedisStore({ client, prefix: uniquePrefix('wait'), waitForReplicas: { replicas: 1, timeout: 100 } });
    const r = await claimed(store);
    replica.process.kill('SIGSTOP'); // connected, but acknowledging nothing
    try {
      const started = Date.now();
      const failure = await store.completeClaim(r.sessionId, 't', Date.now()).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as Error).message).toBe('The transfer reached 0 of 1 replica(s) within 100 ms');
      expect(Date.now() - started).toBeGreaterThanOrEqual(95);
      expect(Date.now() - started).toBeLessThan(1000);
      // The master has it: the retry of the login finds the guest transferred (already_transferred, same user).
      expect((await store.get(r.sessionId))?.state).toBe('transferred');
    } finally {
      replica.process.kill('SIGCONT');
    }
  });

  it('refuses settings that cannot work, naming the option', () => {
    expect(() => new RedisStore({ client, waitForReplicas: { replicas: 0, timeout: 100 } })).toThrow('RedisStore.waitForReplicas.replicas: must be a positive integer');
    expect(() => new RedisStore({ client, waitForReplicas: { replicas: 1, timeout: 0 } })).toThrow('RedisStore.waitForReplicas.timeout: must be a positive integer');
    expect(() => new RedisStore({ client, timeout: 500, waitForReplicas: { replicas: 1, timeout: 500 } })).toThrow(
      'RedisStore.waitForReplicas.timeout: must be below RedisStore.timeout (500 ms), got 500',
    );
    const scriptsOnly = { evalSha: client.evalSha.bind(client), eval: client.eval.bind(client) };
    expect(() => new RedisStore({ client: scriptsOnly, waitForReplicas: { replicas: 1, timeout: 100 } })).toThrow('RedisStore.waitForReplicas: needs a node-redis client');
  });
});
