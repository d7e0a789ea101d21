import type { RedisClientType } from 'redis';
import { connectRedis } from './redis';

/** A client to the test Redis for the whole file: connected before, closed after. Call it at describe level. */
export function useRedisClient(): () => RedisClientType {
  let client: RedisClientType | undefined;
  beforeAll(async () => {
    client = await connectRedis();
  });
  afterAll(async () => {
    await client?.close();
  });
  return () => {
    if (!client) throw new Error('useRedisClient(): the client is only there inside tests');
    return client;
  };
}
