/**
 * The example shop (example-app/app.ts, its own transfer hook and accounts) in its own process on Redis, for the
 * multi-process tests. Keys come from EAS_TEST_KEYS, so every process verifies the others' tokens. Prints
 * `listening <port>` when ready. CRASH_AFTER_HOOK=1 kills the process right after the hook returned (its write
 * done), before the claim completes.
 */
import type { AddressInfo } from 'node:net';
import { RedisStore } from '../../lib';
import { createApp } from '../../example-app/app';
import { TEST_KEYS } from './keys';

async function main(): Promise<void> {
  if (process.env.CRASH_AFTER_HOOK === '1') {
    RedisStore.prototype.completeClaim = async () => {
      process.kill(process.pid, 'SIGKILL');
      return new Promise<boolean>(() => undefined);
    };
  }
  // One public URL and one session secret for every process, as the README's several-processes recipe says.
  const { app, close } = await createApp({
    redisUrl: process.env.REDIS_URL,
    keys: TEST_KEYS,
    publicUrl: 'http://shop.test',
    sessionSecret: 'a test secret shared by every shop process',
  });
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => void close().then(() => process.exit(0))));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
