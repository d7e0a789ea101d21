import { RedisStore } from '../../lib';
import { useRedisClient } from '../support/redis-client';
import { uniquePrefix } from '../support/redis';
import { describeLifecycle, movableClock } from './lifecycle-contract';

const client = useRedisClient();

describeLifecycle('RedisStore', async () => ({
  store: new RedisStore({ client: client(), prefix: uniquePrefix('lifecycle') }),
  clock: movableClock(),
}));
