import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { defaultPublicUrl, hostInUrl, type ShopConfig } from './config';

const MAX_RESTARTS_PER_MINUTE = 5;

/**
 * WORKERS=N: N shop processes on one port; node:cluster hands out connections round-robin. The workers are one shop
 * because they share Redis (REDIS_URL, required), the cookie secret, the signing keys and the public URL (the issuer
 * of tokens). A secret or key set that is not configured was made once, in this process, and is handed to every
 * worker, so the workers agree with each other even on the development defaults (which still end at restart).
 */
export function runPrimary(config: ShopConfig): void {
  // Made once here when not configured (with a warning at start-up), so that all workers use the same.
  const shared = { SESSION_SECRET: config.sessionSecret, ANON_KEYS: JSON.stringify(config.keys) };

  const ready = new Set<number>();
  const restarts: number[] = [];
  let port: number | undefined;
  let alive = 0;
  let announced = false;
  let stopping = false;

  const fork = (): Worker => {
    alive += 1;
    return cluster.fork(shared);
  };
  cluster.on('listening', (_worker, address: AddressInfo) => (port ??= address.port));
  cluster.on('message', (worker, message: { ready?: boolean }) => {
    if (!message?.ready) return;
    ready.add(worker.id);
    if (ready.size === config.workers && !announced) {
      announced = true;
      const publicUrl = config.publicUrl ?? defaultPublicUrl(config.host, port!);
      console.log(`Leaf & Kettle is open on http://${hostInUrl(config.host)}:${port} (public URL ${publicUrl}; Redis; ${config.workers} workers)`);
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    alive -= 1;
    const wasReady = ready.delete(worker.id);
    if (stopping) return void (alive === 0 && process.exit());
    const now = Date.now();
    restarts.push(now);
    while (restarts[0] < now - 60_000) restarts.shift();
    if (!wasReady || restarts.length > MAX_RESTARTS_PER_MINUTE) {
      console.error(`Leaf & Kettle: a worker ${wasReady ? 'keeps stopping' : 'could not start'} (${signal ?? `exit ${code}`}); stopping`);
      return stop(1);
    }
    console.error(`Leaf & Kettle: worker ${worker.process.pid} stopped (${signal ?? `exit ${code}`}); starting another`);
    fork();
  });

  function stop(exitCode: number): void {
    if (stopping) return;
    stopping = true;
    process.exitCode = exitCode;
    setTimeout(() => process.exit(exitCode || 1), 15_000).unref();
    if (alive === 0) process.exit();
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  }
  process.once('SIGINT', () => stop(0));
  process.once('SIGTERM', () => stop(0));

  for (let i = 0; i < config.workers; i++) fork();
}
