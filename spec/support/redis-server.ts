import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createClient } from 'redis';

/**
 * A private redis-server for tests: on a free loopback port, nothing on disk, ready when it answers PING.
 * Tests that need Redis fail with this message rather than skip.
 */
export const REDIS_MISSING =
  'These tests need Redis. Set REDIS_URL (e.g. redis://127.0.0.1:6379) or install redis-server ' +
  '(Debian: apt-get install -y redis-server) so the tests can start their own.';

export interface RedisServer {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startRedisServer(port?: number, extraArgs: string[] = []): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  const child = spawn(
    'redis-server',
    ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs],
    { stdio: 'ignore' },
  );
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) => reject(new Error(`${REDIS_MISSING} (${err.message})`))),
  );
  const url = `redis://127.0.0.1:${chosen}`;
  try {
    await Promise.race([waitForPing(url, 10_000), spawnError]);
  } catch (err) {
    if (child.pid !== undefined) await stopProcess(child); // never leave a server behind that nobody will stop
    throw err;
  }
  return {
    url,
    port: chosen,
    process: child,
    stop: () => stopProcess(child),
  };
}

export async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 500 } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      await client.close();
      return;
    } catch (err) {
      try {
        client.destroy();
      } catch {
        // a client whose connect failed is already closed, and destroying it again throws: keep polling
      }
      if (Date.now() > deadline) throw new Error(`${REDIS_MISSING} (no PING reply from ${url}: ${String(err)})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
