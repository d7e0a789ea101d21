// The peer: better-auth with its anonymous plugin, on express, in its own process.
// BACKEND=memory (memory adapter) or sqlite (better-sqlite3 12, in memory).
import express from 'express';
import { betterAuth } from 'better-auth';
import { anonymous } from 'better-auth/plugins';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { toNodeHandler } from 'better-auth/node';

const port = Number(process.env.PORT ?? 0);
const backend = process.env.BACKEND ?? 'memory';

let database;
if (backend === 'sqlite') {
  const { default: Database } = await import('better-sqlite3');
  database = new Database(':memory:');
} else {
  database = memoryAdapter({ user: [], session: [], account: [], verification: [] });
}

// The harness asks for this process's own CPU time over IPC.
process.on('message', (msg) => {
  if (msg === 'cpu') process.send({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
});

const app = express();
const server = app.listen(port, '127.0.0.1', async () => {
  const baseURL = `http://127.0.0.1:${server.address().port}`;
  const auth = betterAuth({
    database,
    baseURL,
    secret: 'bench-secret-bench-secret-bench-secret-0123',
    plugins: [anonymous()],
    rateLimit: { enabled: false },
    logger: { disabled: true },
    telemetry: { enabled: false },
  });
  if (backend === 'sqlite') {
    const { getMigrations } = await import('better-auth/db/migration');
    const { runMigrations } = await getMigrations(auth.options);
    await runMigrations();
  }
  app.all('/api/auth/*splat', toNodeHandler(auth));
  process.stdout.write(`listening ${server.address().port}\n`);
});
