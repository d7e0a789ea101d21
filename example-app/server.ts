/**
 * The example app. `npm start` runs it on embedded defaults (memory stores, ephemeral keys); with REDIS_URL set,
 * express-session (connect-redis) and anonymous sessions live in Redis.
 */
import { createApp } from './app';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const { app, close } = await createApp({ redisUrl: process.env.REDIS_URL });
  const server = app.listen(port, '127.0.0.1', () => {
    console.log(`example shop on http://127.0.0.1:${port}`);
  });
  const stop = () => server.close(() => void close().then(() => process.exit(0)));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
