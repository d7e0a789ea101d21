/**
 * One app process for the multi-process transfer tests: the transfer test app on Redis (express-session via
 * connect-redis, anonymous sessions via RedisStore, users in Redis). Prints `listening <port>` when ready.
 * CRASH_ON_MERGE=1 kills the process in the middle of the merge, after the claim and before completion.
 * CRASH_AFTER_WRITE=1 kills it right after the hook's write, before the claim completes. IDEMPOTENT=1 makes the hook
 * skip a transfer id it already wrote. Each hook run appends "<transferId> <fence>" to the list <prefix>attempts.
 */
import type { AddressInfo } from 'node:net';
import { createClient, type RedisClientType } from 'redis';
import { RedisStore as SessionRedisStore } from 'connect-redis';
import { RedisStore } from '../../lib';
import { transferApp, type ShopUser, type UserDb } from './transfer-app';

async function main(): Promise<void> {
  const prefix = process.env.PREFIX ?? 'eas-proc:';
  const client = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true }) as RedisClientType;
  client.on('error', () => undefined);
  await client.connect();
  const users: UserDb = {
    get: async (id) => {
      const json = await client.get(`${prefix}user:${id}`);
      return json ? (JSON.parse(json) as ShopUser) : undefined;
    },
    put: async (user) => void (await client.set(`${prefix}user:${user.id}`, JSON.stringify(user))),
  };
  if (process.env.CRASH_AFTER_WRITE === '1') {
    // The hook has written and returned; the next step would complete the claim.
    RedisStore.prototype.completeClaim = async () => {
      process.kill(process.pid, 'SIGKILL');
      return new Promise<boolean>(() => undefined);
    };
  }
  const { app } = transferApp({
    users,
    store: new RedisStore({ client, prefix }),
    sessionStore: new SessionRedisStore({ client, prefix: `${prefix}sess:` }),
    anon: {
      transfer: { lease: Number(process.env.LEASE ?? 30) },
      rateLimit: process.env.RATE_POINTS ? { points: Number(process.env.RATE_POINTS), duration: 60 } : false,
    },
    trustProxy: true,
    idempotent: process.env.IDEMPOTENT === '1',
    onAttempt: async (context) => void (await client.rPush(`${prefix}attempts`, `${context.transferId} ${context.fence}`)),
    onMerge: async () => {
      if (process.env.CRASH_ON_MERGE === '1') process.kill(process.pid, 'SIGKILL');
      await client.incr(`${prefix}merges`);
      await new Promise((resolve) => setTimeout(resolve, 20)); // widen the race window
    },
  });
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => void client.close().then(() => process.exit(0))));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
