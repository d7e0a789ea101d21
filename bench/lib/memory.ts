import { createClient, type RedisClientType } from 'redis';
import { MemoryStore, RedisStore } from '../../lib';
import { newRecord } from '../../lib/session/record';

const LIFETIMES = { idle: 604800, absolute: 2592000 };

export function metadataOf(kind: 'empty' | '1KiB'): string {
  if (kind === 'empty') return '{}';
  return JSON.stringify({ blob: 'y'.repeat(1024 - 12) }); // 1 KiB serialized
}

export async function connect(url: string): Promise<RedisClientType> {
  const client = createClient({ url }) as RedisClientType;
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function usedMemory(client: RedisClientType): Promise<number> {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

/** Writes `count` sessions through the RedisStore, `batch` at a time. */
export async function fillRedis(store: RedisStore, count: number, metadata: string, batch = 2000): Promise<void> {
  for (let done = 0; done < count; done += batch) {
    const n = Math.min(batch, count - done);
    await Promise.all(Array.from({ length: n }, () => store.create(newRecord({ userId: `anon|${crypto.randomUUID()}`, metadata, now: Date.now(), lifetimes: LIFETIMES }))));
  }
}

/** Bytes of Redis memory per session: INFO used_memory before and after `count` sessions, on a private server. */
export async function redisBytesPerSession(url: string, count: number, kind: 'empty' | '1KiB'): Promise<number> {
  const client = await connect(url);
  await client.flushAll();
  const store = new RedisStore({ client, prefix: 'eas:', timeout: 10_000 });
  const before = await usedMemory(client);
  await fillRedis(store, count, metadataOf(kind));
  const after = await usedMemory(client);
  await client.flushAll();
  await client.close();
  return (after - before) / count;
}

/** Heap bytes per session in the MemoryStore (run in a process with --expose-gc). */
export async function heapBytesPerSession(count: number): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const store = new MemoryStore({ maxSessions: count + 1 });
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) await store.create(newRecord({ userId: `anon|${crypto.randomUUID()}`, metadata: '{}', now: Date.now(), lifetimes: LIFETIMES }));
  gc();
  const after = process.memoryUsage().heapUsed;
  store.close();
  return (after - before) / count;
}
