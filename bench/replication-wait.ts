/**
 * What `RedisStore`'s `waitForReplicas` costs: `node --require=tsx/cjs bench/replication-wait.ts`.
 *
 * A private master and its replica on loopback (nothing on disk). Measures, per transfer completion:
 *   1. completeClaim alone, and completeClaim + awaitReplication (WAIT 1 100), one at a time;
 *   2. the same with other traffic on the connection: 20 concurrent session reads, to see what a WAIT does to them;
 *   3. with the replica stalled (SIGSTOP): WAIT runs into its timeout, and the reads queued behind it wait too.
 * Prints a table of milliseconds (p50 / p99) and writes bench/results/replication-wait.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, type RedisClientType } from 'redis';
import { RedisStore } from '../lib';
import { newRecord } from '../lib/session/record';
import { startRedisServer } from '../spec/support/redis-server';

const N = 2000;
const LIFETIMES = { idle: 600, absolute: 3600 };

async function main(): Promise<void> {
  const master = await startRedisServer(undefined, ['--repl-diskless-sync-delay', '0']);
  const replica = await startRedisServer(undefined, ['--replicaof', '127.0.0.1', String(master.port), '--repl-diskless-load', 'on-empty-db']);
  const client = createClient({ url: master.url, disableOfflineQueue: true }) as RedisClientType;
  client.on('error', () => undefined);
  await client.connect();
  try {
    // In sync: the replica acknowledges a write (for a moment after the master calls it online, it does not yet).
    while ((await client.set('bench:probe', '1'), Number(await client.sendCommand(['WAIT', '1', '50']))) !== 1) await sleep(20);
    const plain = new RedisStore({ client, prefix: 'bench:plain:' });
    const waiting = new RedisStore({ client, prefix: 'bench:wait:', waitForReplicas: { replicas: 1, timeout: 100 } });
    const results = {
      alone: { completeClaim: await completions(plain, N, false), completeClaimAndWait: await completions(waiting, N, true) },
      withReads: { reads: await readsBeside(plain, false), readsBesideWait: await readsBeside(waiting, true) },
      replicaStalled: await stalled(waiting, replica.process.pid!),
    };
    console.table({
      'completeClaim (no WAIT)': row(results.alone.completeClaim),
      'completeClaim + WAIT 1 100': row(results.alone.completeClaimAndWait),
      'get, beside completions without WAIT': row(results.withReads.reads),
      'get, beside completions with WAIT': row(results.withReads.readsBesideWait),
      'completeClaim + WAIT, replica stalled': row(results.replicaStalled.completions),
      'get, beside those': row(results.replicaStalled.reads),
    });
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results/replication-wait.json'), `${JSON.stringify(summary(results), null, 2)}\n`);
  } finally {
    client.destroy();
    await Promise.all([replica.stop(), master.stop()]);
  }
}

/** Claimed sessions, ready to complete. */
async function claimed(store: RedisStore, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = newRecord({ userId: `anon|${i}`, metadata: '{"cart":["tea"]}', now: Date.now(), lifetimes: LIFETIMES });
    await store.create(r);
    await store.claim(r.sessionId, { token: 't', userId: 'alice', leaseUntil: Date.now() + 60_000, now: Date.now() });
    ids.push(r.sessionId);
  }
  return ids;
}

async function completions(store: RedisStore, n: number, wait: boolean): Promise<number[]> {
  const ids = await claimed(store, n);
  const ms: number[] = [];
  for (const id of ids) {
    const started = performance.now();
    await store.completeClaim(id, 't', Date.now());
    if (wait) await store.awaitReplication(id);
    ms.push(performance.now() - started);
  }
  return ms;
}

/** 20 readers on the same connection while completions run one after another; the readers' latencies. */
async function readsBeside(store: RedisStore, wait: boolean): Promise<number[]> {
  const [reader] = await claimed(store, 1);
  let done = false;
  const ms: number[] = [];
  const readers = Array.from({ length: 20 }, async () => {
    while (!done) {
      const started = performance.now();
      await store.get(reader);
      ms.push(performance.now() - started);
    }
  });
  await completions(store, 500, wait);
  done = true;
  await Promise.all(readers);
  return ms;
}

async function stalled(store: RedisStore, replicaPid: number): Promise<{ completions: number[]; reads: number[] }> {
  process.kill(replicaPid, 'SIGSTOP');
  try {
    const [reader] = await claimed(store, 1);
    let done = false;
    const reads: number[] = [];
    const readers = Array.from({ length: 5 }, async () => {
      while (!done) {
        const started = performance.now();
        await store.get(reader);
        reads.push(performance.now() - started);
      }
    });
    const ms = await completions(store, 20, true);
    done = true;
    await Promise.all(readers);
    return { completions: ms, reads };
  } finally {
    process.kill(replicaPid, 'SIGCONT');
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function row(ms: number[]): { n: number; p50: string; p99: string } {
  return { n: ms.length, p50: percentile(ms, 0.5).toFixed(3), p99: percentile(ms, 0.99).toFixed(3) };
}

function summary(value: unknown): unknown {
  if (Array.isArray(value)) return row(value as number[]);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, summary(v)]));
  return value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
