import { randomBytes } from 'node:crypto';
import { createClient, type RedisClientType } from 'redis';
import { REDIS_MISSING } from './redis-server';
import { RedisProxy } from './redis-proxy';

export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error(REDIS_MISSING);
  return url;
}

/** A connected client that fails fast (no offline queue) and never crashes the test process on error. */
export async function connectRedis(url = redisUrl()): Promise<RedisClientType> {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: (retries: number) => Math.min(50 * retries, 500) },
  }) as RedisClientType;
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** A client to the test Redis through a fresh fault-injecting proxy (`spec/support/redis-proxy.ts`); `close()` drops both. */
export async function connectThroughProxy(): Promise<{ proxy: RedisProxy; client: RedisClientType; close: () => Promise<void> }> {
  const proxy = new RedisProxy(Number(new URL(redisUrl()).port || 6379));
  await proxy.start();
  const client = await connectRedis(`redis://127.0.0.1:${proxy.port}`);
  return {
    proxy,
    client,
    close: async () => {
      client.destroy();
      await proxy.stop();
    },
  };
}

/** A key prefix no other test (or a shared REDIS_URL) uses. */
export function uniquePrefix(label: string): string {
  return `eas-test:${label}:${randomBytes(4).toString('hex')}:`;
}
