import { RedisStore } from '../../lib';
import { newRecord } from '../../lib/session/record';
import { connect, fillRedis } from './memory';

const LIFETIMES = { idle: 604800, absolute: 2592000 };

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];
}

async function sample(store: RedisStore, ids: string[], n: number): Promise<{ create: number; lookup: number }> {
  const creates: number[] = [];
  const lookups: number[] = [];
  for (let i = 0; i < n; i++) {
    const record = newRecord({ userId: `anon|${crypto.randomUUID()}`, metadata: '{}', now: Date.now(), lifetimes: LIFETIMES });
    let t = process.hrtime.bigint();
    await store.create(record);
    creates.push(Number(process.hrtime.bigint() - t) / 1e3);
    const id = ids[Math.floor(Math.random() * ids.length)] ?? record.sessionId;
    t = process.hrtime.bigint();
    await store.get(id);
    lookups.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  return { create: p99(creates), lookup: p99(lookups) };
}

/**
 * Create and lookup p99 (µs, one at a time from one client) with 10,000 sessions in Redis and again with `large`
 * sessions, plus Redis bytes per empty session at that size.
 */
export async function scale(url: string, large: number, samples = 5000): Promise<{ small: { create: number; lookup: number }; large: { create: number; lookup: number }; bytesPerSession: number; sessions: number }> {
  const client = await connect(url);
  await client.flushAll();
  const store = new RedisStore({ client, prefix: 'eas:', timeout: 10_000 });
  const ids: string[] = [];
  const track = async (count: number) => {
    await fillRedis(store, count, '{}');
  };
  await track(10_000);
  const some = await client.scan('0', { MATCH: 'eas:s:*', COUNT: 2000 });
  for (const key of some.keys) ids.push(key.slice('eas:s:{'.length, -1));
  const small = await sample(store, ids, samples);
  const base = Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
  const beforeKeys = await client.dbSize();
  await track(large - 10_000);
  const after = Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
  const added = (await client.dbSize()) - beforeKeys;
  const big = await sample(store, ids, samples);
  await client.flushAll();
  await client.close();
  return { small, large: big, bytesPerSession: (after - base) / added, sessions: large };
}
