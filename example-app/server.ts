/**
 * `npm start`: the example shop on embedded defaults (memory stores, ephemeral keys: fine on one process, lost on
 * restart). With REDIS_URL set, sessions, guests and accounts live in Redis and survive a restart. ANON_KEYS (JSON
 * from `npx express-anonymous-session keygen`) makes tokens survive restarts too.
 */
import type { AddressInfo } from 'node:net';
import { createApp } from './app';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  const keys = process.env.ANON_KEYS ? JSON.parse(process.env.ANON_KEYS) : undefined;
  const { app, close } = await createApp({ redisUrl: process.env.REDIS_URL, issuer: process.env.ISSUER ?? `http://${host}:${port}`, keys });
  const server = app.listen(port, host, () => {
    const actual = (server.address() as AddressInfo).port;
    console.log(`Leaf & Kettle is open on http://${host}:${actual}${process.env.REDIS_URL ? ' (Redis)' : ' (in memory)'}`);
  });
  const stop = () => server.close(() => void close().then(() => process.exit(0)));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
