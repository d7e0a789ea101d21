/**
 * `npm start`: the example shop. With no settings it runs on embedded defaults (memory stores, keys and cookie
 * secret made at start-up: one process, forgotten at restart). The README's "Configuration" table lists every
 * variable; `config.ts` checks them. With WORKERS=N this process is the primary of N workers (`primary.ts`).
 */
import cluster from 'node:cluster';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigurationError } from '../lib';
import { createApp } from './app';
import { ConfigError, KEYGEN_HINT, defaultPublicUrl, hostInUrl, readConfig, type ShopConfig } from './config';
import { runPrimary } from './primary';

async function main(): Promise<void> {
  const { config, warnings } = readConfig(process.env);
  if (cluster.isPrimary) for (const warning of warnings) console.warn(`Leaf & Kettle: ${warning}`);
  if (cluster.isPrimary && config.workers > 1) return runPrimary(config);
  await serve(config);
}

/** Listens first (so PORT=0 can name its real port in the default PUBLIC_URL), then serves the shop. */
async function serve(config: ShopConfig): Promise<void> {
  const server = createServer(startingUp);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(config.port, config.host, resolve));
  const port = (server.address() as AddressInfo).port;
  const publicUrl = config.publicUrl ?? defaultPublicUrl(config.host, port);
  const shop = await createApp({
    publicUrl,
    sessionSecret: config.sessionSecret,
    redisUrl: config.redisUrl,
    keys: config.keys,
    trustProxy: config.trustProxy,
    accessTokenLifetime: config.accessTokenLifetime,
  });
  server.off('request', startingUp).on('request', shop.app);
  stopOnSignal(server, shop.close);
  if (cluster.isWorker) process.send?.({ ready: true });
  else console.log(`Leaf & Kettle is open on http://${hostInUrl(config.host)}:${port} (public URL ${publicUrl}; ${config.redisUrl ? 'Redis' : 'in memory'})`);
}

/** Between listening and having an app: a clear, retryable answer rather than a hang. */
function startingUp(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(503, { 'Retry-After': '1', 'Content-Type': 'text/plain' }).end('Leaf & Kettle is starting up; try again in a moment.\n');
}

/**
 * SIGTERM/SIGINT: stop accepting, finish what is in flight (10 s at most), close Redis, exit. A worker leaves
 * Ctrl-C (SIGINT to the whole process group) to the primary, which stops the workers in order with SIGTERM.
 */
function stopOnSignal(server: Server, close: () => Promise<void>): void {
  const stop = () => {
    setTimeout(() => process.exit(1), 10_000).unref();
    server.close(() => void close().finally(() => process.exit(0)));
    server.closeIdleConnections();
  };
  process.once('SIGTERM', stop);
  if (cluster.isWorker) process.on('SIGINT', () => undefined);
  else process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(`Leaf & Kettle cannot start: ${err.message}`);
  else if (err instanceof ConfigurationError && err.option.startsWith('keys')) console.error(`Leaf & Kettle cannot start: ANON_KEYS is not a usable key set (${err.message}); ${KEYGEN_HINT}`);
  else console.error('Leaf & Kettle cannot start:', err);
  process.exit(1);
});
