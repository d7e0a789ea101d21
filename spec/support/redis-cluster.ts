import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient, createCluster, type RedisClusterType } from 'redis';
import { freePort, startRedisServer, type RedisServer } from './redis-server';

const run = promisify(execFile);

export interface LocalCluster {
  urls: string[];
  /** Every node, masters first as `redis-cli --cluster create` assigned them. */
  nodes: RedisServer[];
  /** One CLUSTER command (or any command) on a node that is still up; its reply as a string. */
  command(args: string[], port?: number): Promise<string>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Replicas per master (`--cluster-replicas`). Default 0: 3 nodes; with 1: 3 masters and 3 replicas. */
  replicas?: number;
  /** `cluster-node-timeout` in ms: how long a silent master takes to be failed over. Redis's default is 15000. */
  nodeTimeout?: number;
}

/**
 * A local 3-master cluster and a node-redis cluster client on it (fails fast while a node is down), for a whole file:
 * started before its tests, stopped after. Call it at file level; the getters work inside tests.
 */
export function useLocalCluster(): { cluster: () => LocalCluster; client: () => RedisClusterType } {
  let cluster: LocalCluster | undefined;
  let client: RedisClusterType | undefined;
  beforeAll(async () => {
    cluster = await startCluster();
    client = createCluster({ rootNodes: cluster.urls.map((url) => ({ url })), defaults: { disableOfflineQueue: true } }) as RedisClusterType;
    client.on('error', () => undefined);
    await client.connect();
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
  });
  const inside = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useLocalCluster(): the cluster is only there inside tests');
    return value;
  };
  return { cluster: () => inside(cluster), client: () => inside(client) };
}

/** A local 3-master Redis Cluster on loopback ports (redis-server in cluster mode, redis-cli --cluster create). */
export async function startCluster(options: ClusterOptions = {}): Promise<LocalCluster> {
  const replicas = options.replicas ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'eas-cluster-'));
  const nodes: RedisServer[] = [];
  // Replicas sync at once (Redis waits 5 s for more replicas before a diskless sync by default).
  const extra = ['--repl-diskless-sync-delay', '0', ...(options.nodeTimeout === undefined ? [] : ['--cluster-node-timeout', String(options.nodeTimeout)])];
  const ask = async (node: RedisServer, args: string[]): Promise<string> => {
    const client = createClient({ url: node.url, socket: { reconnectStrategy: false, connectTimeout: 1000 } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return String(await client.sendCommand(args));
    } finally {
      client.destroy();
    }
  };
  /** On `port`, or on the first node that answers (one just killed may not have exited yet). */
  const command = async (args: string[], port?: number): Promise<string> => {
    if (port !== undefined) return ask(nodes.find((n) => n.port === port)!, args);
    let failure: unknown = new Error('no live cluster node to ask');
    for (const node of nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null)) {
      try {
        return await ask(node, args);
      } catch (err) {
        failure = err;
      }
    }
    throw failure;
  };
  try {
    for (let i = 0; i < 3 * (1 + replicas); i++) {
      const port = await freePort();
      nodes.push(
        await startRedisServer(port, ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir, ...extra]),
      );
    }
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
    const deadline = Date.now() + 15_000;
    for (const node of nodes) {
      for (;;) {
        const info = await command(['CLUSTER', 'INFO'], node.port);
        // A replica is only useful once it has synced with its master.
        const replication = await command(['INFO', 'replication'], node.port);
        const synced = !replication.includes('role:slave') || replication.includes('master_link_status:up');
        if (info.includes('cluster_state:ok') && synced) break;
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
    nodes,
    command,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One line of CLUSTER NODES: who serves what. */
export interface ClusterNode {
  id: string;
  port: number;
  role: 'master' | 'replica';
  failed: boolean;
  /** For a replica, the id of its master. */
  masterId: string | undefined;
  slots: Array<[number, number]>;
}

export function parseClusterNodes(text: string): ClusterNode[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, master, , , , , ...slots] = line.split(' ');
      const flagList = flags.split(',');
      return {
        id,
        port: Number(address.split('@')[0].split(':')[1]),
        role: flagList.includes('master') ? 'master' : 'replica',
        failed: flagList.includes('fail') || flagList.includes('fail?'),
        masterId: master === '-' ? undefined : master,
        slots: slots.filter((s) => /^\d/.test(s)).map((s) => {
          const [from, to] = s.split('-').map(Number);
          return [from, to ?? from] as [number, number];
        }),
      };
    });
}

/** The hash slot of a key (CRC16/XMODEM of its `{hash tag}` or the whole key, mod 16384), as Redis Cluster computes it. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
