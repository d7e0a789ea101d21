import { SimpleError, type RedisClientType } from 'redis';
import { RedisStore, StoreUnavailableError } from '../../lib';
import { newRecord } from '../../lib/session/record';
import { connectRedis, uniquePrefix } from '../support/redis';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { eventually } from '../support/eventually';
import { buildApp } from '../support/app';
import { capturingLogger } from '../support/transfer-app';
import request from 'supertest';

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
    // on-empty-db: the replica loads the sync from the socket, writing no dump.rdb into the working directory
    replica = await startRedisServer(undefined, ['--replicaof', '127.0.0.1', String(master.port), '--repl-diskless-load', 'on-empty-db']);
    client = await connectRedis(master.url);
    // In sync: the replica acknowledges a write (for a moment after the master calls it online, it does not yet).
    const acknowledged = async () => (await client.set(uniquePrefix('probe'), '1', { PX: 1000 }), Number(await client.sendCommand(['WAIT', '1', '50'])));
    await eventually(acknowledged, (acked) => acked === 1);
  });
  afterAll(async () => {
    client.destroy();
    await Promise.all([replica.stop(), master.stop()]);
  });

  const completed = async (store: RedisStore) => {
    const r = record();
    await store.create(r);
    await store.claim(r.sessionId, { token: 't', userId: 'alice', leaseUntil: Date.now() + 30_000, now: Date.now() });
    expect(await store.completeClaim(r.sessionId, 't', Date.now())).toBe(true);
    return r;
  };
  /** The replica stays connected but acknowledges nothing while `run` runs. */
  const replicaStalled = async <T>(run: () => Promise<T>): Promise<T> => {
    replica.process.kill('SIGSTOP');
    try {
      return await run();
    } finally {
      replica.process.kill('SIGCONT');
    }
  };

  it('answers once the replica has the completion', async () => {
    const store = new RedisStore({ client, prefix: uniquePrefix('wait'), waitForReplicas: { replicas: 1, timeout: 200 } });
    const r = await completed(store);
    expect(await store.awaitReplication(r.sessionId)).toEqual({ acknowledged: 1, required: 1 });
  });

  it('does not wait unless asked to', async () => {
    const store = new RedisStore({ client, prefix: uniquePrefix('wait') });
    expect(await store.awaitReplication((await completed(store)).sessionId)).toBeUndefined();
  });

  it('without the replica, answers the shortfall after the WAIT timeout (the transfer logs it)', async () => {
    const store = new RedisStore({ client, prefix: uniquePrefix('wait'), waitForReplicas: { replicas: 1, timeout: 100 } });
    const r = await completed(store);
    const started = Date.now();
    expect(await replicaStalled(() => store.awaitReplication(r.sessionId))).toEqual({ acknowledged: 0, required: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("with onShortfall: 'fail', rejects with a 503 instead: the completion is on the master only", async () => {
    const store = new RedisStore({ client, prefix: uniquePrefix('wait'), waitForReplicas: { replicas: 1, timeout: 100, onShortfall: 'fail' } });
    const r = await completed(store);
    const failure = await replicaStalled(() => store.awaitReplication(r.sessionId).catch((err: unknown) => err));
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).toBe('The transfer reached 0 of 1 replica(s) within 100 ms');
    // The master has it: the retry of the login finds the guest transferred (already_transferred, same user).
    expect((await store.get(r.sessionId))?.state).toBe('transferred');
  });

  it('a login whose transfer did not reach the replica in time is answered, and the shortfall logged', async () => {
    const store = new RedisStore({ client, prefix: uniquePrefix('wait'), waitForReplicas: { replicas: 1, timeout: 100 } });
    const logger = capturingLogger();
    const { app } = buildApp({ store, rateLimit: false, logger }, undefined, (a, anon) => {
      a.post('/login', (req, _res, next) => ((req.user = { id: 'alice' }), next()), anon.transfer('login'), (req, res) => res.json(req.anonymousTransfer));
    });
    const agent = request.agent(app);
    await agent.post('/cart').send({ sku: 'tea' }).expect(200);
    const res = await replicaStalled(() => agent.post('/login'));
    expect(res.body.status).toBe('merged');
    expect(logger.lines).toEqual([['warn', expect.stringMatching(/: the completion reached 0 of 1 replica\(s\) in time; a failover now could undo it$/)]]);
  });

  it('refuses settings that cannot work, naming the option', () => {
    expect(() => new RedisStore({ client, waitForReplicas: { replicas: 0, timeout: 100 } })).toThrow('RedisStore.waitForReplicas.replicas: must be a positive integer');
    expect(() => new RedisStore({ client, waitForReplicas: { replicas: 1, timeout: 0 } })).toThrow('RedisStore.waitForReplicas.timeout: must be a positive integer');
    expect(() => new RedisStore({ client, timeout: 500, waitForReplicas: { replicas: 1, timeout: 500 } })).toThrow(
      'RedisStore.waitForReplicas.timeout: must be below RedisStore.timeout (500 ms), got 500',
    );
    const scriptsOnly = { evalSha: client.evalSha.bind(client), eval: client.eval.bind(client) };
    expect(() => new RedisStore({ client: scriptsOnly, waitForReplicas: { replicas: 1, timeout: 100 } })).toThrow('RedisStore.waitForReplicas: needs a node-redis client');
    expect(() => new RedisStore({ client, waitForReplicas: { replicas: 1, timeout: 100, onShortfall: 'retry' as 'fail' } })).toThrow(
      "RedisStore.waitForReplicas.onShortfall: must be 'continue' or 'fail'",
    );
  });
});
