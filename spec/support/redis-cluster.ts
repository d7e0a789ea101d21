import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { freePort, startRedisServer, type RedisServer } from './redis-server';

const run = promisify(execFile);

export interface LocalCluster {
  urls: string[];
  stop(): Promise<void>;
}

/** A local 3-master Redis Cluster on loopback ports (redis-server in cluster mode, redis-cli --cluster create). */
export async function startCluster(): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'eas-cluster-'));
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      nodes.push(
        await startRedisServer(port, ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir]),
      );
    }
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 15_000;
    for (const node of nodes) {
      for (;;) {
        const client = createClient({ url: node.url });
        client.on('error', () => undefined);
        await client.connect();
        const info = await client.sendCommand(['CLUSTER', 'INFO']);
        await client.close();
        if (String(info).includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error('the local Redis Cluster did not reach cluster_state:ok');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    urls: nodes.map((n) => n.url),
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
