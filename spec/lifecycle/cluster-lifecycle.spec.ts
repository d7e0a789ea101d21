import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RedisStore } from '../../lib';
import { newRecord } from '../../lib/session/record';
import { useLocalCluster } from '../support/redis-cluster';
import { uniquePrefix } from '../support/redis';
import { describeLifecycle, movableClock } from './lifecycle-contract';
import { TYPESCRIPT_CHILD } from '../support/typescript-child';

/** The same behaviour on a local 3-master Redis Cluster: every script keeps to one slot; SCAN runs on each master. */
const local = useLocalCluster();

describeLifecycle('RedisStore on Redis Cluster', async () => ({
  store: new RedisStore({ client: local.client(), prefix: uniquePrefix('cluster-lifecycle') }),
  clock: movableClock(),
}));

describe('the indexes on Redis Cluster', () => {
  it('spreads its buckets over the masters', async () => {
    const prefix = uniquePrefix('cluster-buckets');
    const store = new RedisStore({ client: local.client(), prefix });
    const clock = movableClock();
    for (let i = 0; i < 200; i++) await store.create(newRecord({ userId: `anon|${i}`, metadata: '{}', now: clock.now(), lifetimes: { idle: 60, absolute: 600 } }));
    const perMaster = await Promise.all(
      local.client().masters.map(async (m) => (await (await local.client().nodeClient(m)).scan('0', { MATCH: `${prefix}b:*`, COUNT: 10_000 })).keys.length),
    );
    expect(perMaster.filter((n) => n > 0)).toHaveLength(3);
    expect(await store.guests.countGuests()).toEqual({ guests: 200, sessions: 200 });
  });
});

describe('the CLI on Redis Cluster', () => {
  it('counts every record with SCAN on each master, and finds a guest, given the nodes as --redis-url', async () => {
    const prefix = uniquePrefix('cluster-cli');
    const store = new RedisStore({ client: local.client(), prefix });
    const clock = movableClock();
    for (let i = 0; i < 30; i++) await store.create(newRecord({ userId: `anon|c${i % 10}`, metadata: '{}', now: clock.now(), lifetimes: { idle: 60, absolute: 600 } }));
    const cli = async (...args: string[]) => {
      const main = join(__dirname, '../../lib/cli/main.ts');
      const { stdout } = await promisify(execFile)(process.execPath, [...TYPESCRIPT_CHILD, main, ...args, '--redis-url', local.cluster().urls.join(','), '--prefix', prefix]);
      return JSON.parse(stdout) as Record<string, unknown>;
    };
    expect(await cli('count', '--exact')).toEqual({ guests: 10, sessions: 30, active: 30, revoked: 0, transferred: 0, expired: 0 });
    expect(((await cli('inspect', 'anon|c3')).sessions as unknown[]).length).toBe(3);
  }, 30_000);
});
