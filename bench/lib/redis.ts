import { createClient, type RedisClientType } from 'redis';
import { startRedisServer, type RedisServer } from '../../spec/support/redis-server';

/** A private redis-server for a one-process micro-benchmark, and a client on it that fails fast when disconnected. */
export async function privateRedis(): Promise<{ server: RedisServer; client: RedisClientType }> {
  const server = await startRedisServer();
  const client = createClient({ url: server.url, disableOfflineQueue: true }) as RedisClientType;
  client.on('error', () => undefined);
  await client.connect();
  return { server, client };
}
