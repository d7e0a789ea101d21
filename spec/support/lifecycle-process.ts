/**
 * A short-lived app process for the restart tests, on Redis (REDIS_URL, PREFIX):
 *   MODE=create  stores COUNT guests with metadata, prints their session ids as JSON, exits.
 *   MODE=crash   runs a reaper pass at the real time + OFFSET_MS and is killed (SIGKILL) inside its first `expired`
 *                listener, so its claimed batch is neither delivered nor deleted; prints `claimed` first.
 */
import { createClient, type RedisClientType } from 'redis';
import { anonymousSessions, RedisStore } from '../../lib';
import { TEST_KEYS } from './keys';

async function main(): Promise<void> {
  const client = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true }) as RedisClientType;
  client.on('error', () => undefined);
  await client.connect();
  const offset = Number(process.env.OFFSET_MS ?? 0);
  const anon = anonymousSessions({
    issuer: 'https://shop.test',
    audience: 'https://api.shop.test',
    keys: TEST_KEYS,
    store: new RedisStore({ client, prefix: process.env.PREFIX }),
    clock: () => Date.now() + offset,
    rateLimit: false,
    lifetimes: { idle: 3600, absolute: 86_400 },
    lifecycle: { reaper: { lease: 5 } },
  });
  if (process.env.MODE === 'create') {
    const created = [];
    for (let i = 0; i < Number(process.env.COUNT ?? 3); i++) created.push(await anon.createSession({ metadata: { cart: [`item-${i}`] } }));
    process.stdout.write(`${JSON.stringify(created.map((r) => r.sessionId))}\n`);
    anon.close();
    await client.close();
    return;
  }
  // Listeners run concurrently (the reaper's `concurrency`): several may start before the first write's callback
  // kills the process, so only the first says so.
  let claimed = false;
  anon.on('expired', () => {
    if (!claimed) {
      claimed = true;
      process.stdout.write('claimed\n', () => process.kill(process.pid, 'SIGKILL'));
    }
    return new Promise(() => undefined); // never resolves: the process dies first
  });
  await anon.admin.reap();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
