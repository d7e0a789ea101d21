import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startRedisServer, waitForPing } from './redis-server';

/** REDIS_URL if set; else a private redis-server for the whole run, stopped by the global teardown. */
export default async function globalSetup(): Promise<void> {
  if (process.env.REDIS_URL) {
    await waitForPing(process.env.REDIS_URL, 5000);
    return;
  }
  const server = await startRedisServer();
  process.env.REDIS_URL = server.url;
  writeFileSync(join(tmpdir(), `eas-redis-${process.pid}.pid`), String(server.process.pid));
  server.process.unref();
}
