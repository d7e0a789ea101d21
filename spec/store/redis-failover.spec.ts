import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import passport from 'passport';
import { createClient } from 'redis';
import { createCluster } from 'redis6';
import { RedisStore } from '../../lib';
import { buildApp, route } from '../support/app';
import { keySlot, parseClusterNodes, startCluster, type ClusterNode, type LocalCluster } from '../support/redis-cluster';
import { uniquePrefix } from '../support/redis';
import { metricsReader } from '../support/metrics';
import { capturingLogger } from '../support/transfer-app';

/**
 * A Redis Cluster with replicas loses a master under load: 3 masters, 3 replicas, `cluster-node-timeout` 1 s, the app
 * on node-redis 6 with the options docs/scaling.md recommends. Shoppers create guests, fill carts over bearer tokens
 * and log in (a transfer, with `waitForReplicas`); a master is SIGKILLed; the replica takes over; nothing restarts.
 *
 * What must hold: every answer is a 200 or a 503 with Retry-After (a 401 only for a guest whose creation the
 * failover lost), none hangs, the app serves the killed shard's guests again by itself, and the only acknowledged
 * writes missing afterwards were acknowledged in the last moment before the kill (asynchronous replication). The
 * measured numbers are written to artifacts/failover.json (docs/scaling.md, "Failover", quotes them).
 */
const SHOPPERS = 8;
const STORE_TIMEOUT = 500;

interface Answer {
  at: number;
  ms: number;
  status: number;
  retryAfter: string | null;
  sid?: string;
  path: string;
}

interface Guest {
  sid: string;
  accessToken: string;
  sessionToken: string;
  createdAt: number;
  /** Cart items acknowledged (200), with when. */
  items: Array<{ sku: string; at: number }>;
  /** When its transfer was acknowledged (200 merged). */
  transferredAt?: number;
}

describe('Redis Cluster failover: a master killed under load', () => {
  let cluster: LocalCluster;
  let client: ReturnType<typeof createCluster>;
  let server: Server;
  let base = '';
  let store: RedisStore;
  const reader = metricsReader();
  const logger = capturingLogger();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    cluster = await startCluster({ replicas: 1, nodeTimeout: 1000 });
    client = createCluster({
      rootNodes: cluster.urls.map((url) => ({ url })),
      defaults: {
        disableOfflineQueue: true, // fail fast while a node is down, never queue
        socket: { connectTimeout: 500, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 500) },
      },
      // node-redis 6: rediscover the topology 500 ms after a node starts reconnecting (default 5000).
      topologyRefreshOnReconnectionAttemptStrategy: 500,
    });
    client.on('error', () => undefined);
    await client.connect();
    store = new RedisStore({ client, prefix: uniquePrefix('failover'), timeout: STORE_TIMEOUT, retryAfter: 1, waitForReplicas: { replicas: 1, timeout: 100 } });
    const pp = new passport.Passport();
    const { app } = buildApp({ store, rateLimit: false, logger, metrics: { meterProvider: reader.provider } }, undefined, (a, anon) => {
      pp.use(anon.strategy({ checkRevocation: true }));
      a.use(anon.router());
      const bearer = pp.authenticate('anonymous', { session: false });
      a.put('/api/cart', bearer, anon.requireGuest(), express.json(), route(async (req, res) => {
        const sku = String(req.body.sku);
        res.json(await anon.guest(req).update((m) => ({ ...m, cart: [...((m.cart as string[] | undefined) ?? []), sku] })));
      }));
      a.post('/api/login', express.json(), (req, _res, next) => ((req.user = { id: String(req.body.user) }), next()), anon.transfer('login', { onError: 'fail' }), (req, res) => {
        res.json({ status: req.anonymousTransfer?.status });
      });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await new Promise((resolve) => server?.close(resolve));
    client?.destroy();
    await cluster?.stop();
    await reader.shutdown();
  });

  it('503 fast while the slot has no master, never 401 or a hang, recovery without a restart, no acknowledged write lost beyond the replication window', async () => {
    const answers: Answer[] = [];
    const guests: Guest[] = [];
    let stopped = false;

    const call = async (path: string, method: string, body: unknown, headers: Record<string, string> = {}, sid?: string) => {
      const started = Date.now();
      let status = 0;
      let retryAfter: string | null = null;
      let json: Record<string, unknown> = {};
      try {
        const res = await fetch(base + path, {
          method,
          headers: { 'content-type': 'application/json', 'sec-fetch-site': 'none', ...headers },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(5000), // a hang shows as status 0
        });
        status = res.status;
        retryAfter = res.headers.get('retry-after');
        json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      } catch {
        status = 0;
      }
      answers.push({ at: started, ms: Date.now() - started, status, retryAfter, sid, path });
      return { status, json };
    };

    const shopper = async (n: number) => {
      for (let i = 0; !stopped; i++) {
        const created = await call('/anonymous/token', 'POST', {});
        if (created.status !== 200) continue;
        const accessToken = String(created.json.access_token);
        const sid = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()).sid as string;
        const guest: Guest = { sid, accessToken, sessionToken: String(created.json.session_token), createdAt: Date.now(), items: [] };
        guests.push(guest);
        for (let k = 0; k < 3 && !stopped; k++) {
          const sku = `s${n}-${i}-${k}`;
          const res = await call('/api/cart', 'PUT', { sku }, { authorization: `Bearer ${accessToken}` }, sid);
          if (res.status === 200) guest.items.push({ sku, at: Date.now() });
        }
        if (i % 3 === 0 && !stopped) {
          const res = await call('/api/login', 'POST', { user: `user-${n}-${i}` }, { 'anonymous-session-token': guest.sessionToken }, sid);
          if (res.status === 200 && res.json.status === 'merged') guest.transferredAt = Date.now();
        }
      }
    };

    const nodesNow = async () => parseClusterNodes(await cluster.command(['CLUSTER', 'NODES']));
    const victim = (await nodesNow()).find((n) => n.role === 'master')!;
    const onVictim = (sid: string) => victim.slots.some(([from, to]) => from <= keySlot(store.key(sid)) && keySlot(store.key(sid)) <= to);

    let killAt = 0;
    let promotedAt = 0;
    let replicationDelay: number[] = [];
    const load = Promise.all(Array.from({ length: SHOPPERS }, (_, n) => shopper(n)));
    try {
      await until(() => guests.filter((g) => onVictim(g.sid)).length >= 30, 10_000);
      // The window asynchronous replication leaves, under this load: how long a write acknowledged by the master
      // takes to be readable on its replica.
      replicationDelay = await replicationDelays(cluster, victim, (await nodesNow()).find((n) => n.masterId === victim.id)!, 100);
      // SIGKILL: no goodbye to clients or replicas.
      killAt = Date.now();
      cluster.nodes.find((n) => n.port === victim.port)!.process.kill('SIGKILL');
      let promoted: ClusterNode | undefined;
      await until(async () => {
        promoted = (await nodesNow()).find((n) => n.id !== victim.id && n.role === 'master' && n.slots.some(([from]) => from === victim.slots[0][0]));
        return promoted !== undefined;
      }, 20_000, 50);
      promotedAt = Date.now();
      expect(promoted).toBeDefined();
      // Recovered: two seconds in a row without a failure after the promotion (or give up at 25 s; the asserts say why).
      await until(() => {
        const lastFailure = Math.max(0, ...answers.filter((a) => a.status !== 200).map((a) => a.at + a.ms));
        return Date.now() - Math.max(lastFailure, promotedAt) >= 2000;
      }, 25_000, 100);
    } finally {
      stopped = true;
      await load;
    }

    // What the store holds now, read through the same (recovered) client.
    const lost = { guests: [] as Guest[], items: [] as Array<{ sku: string; at: number }>, transfers: [] as Guest[] };
    for (const g of guests) {
      const record = await store.get(g.sid);
      if (!record) {
        lost.guests.push(g);
        continue;
      }
      if (g.transferredAt !== undefined && record.state !== 'transferred') lost.transfers.push(g);
      // A transferred guest's cart went to the account and was then deleted from the guest (data minimisation).
      if (record.state === 'transferred') continue;
      const cart = (JSON.parse(record.metadata) as { cart?: string[] }).cart ?? [];
      lost.items.push(...g.items.filter((item) => !cart.includes(item.sku)));
    }

    const failures = answers.filter((a) => a.status !== 200);
    const lostSids = new Set(lost.guests.map((g) => g.sid));
    const lastFailure = Math.max(killAt, ...failures.map((a) => a.at + a.ms));
    const report = {
      requests: answers.length,
      guests: guests.length,
      onKilledShard: {
        guests: guests.filter((g) => onVictim(g.sid)).length,
        items: guests.filter((g) => onVictim(g.sid)).reduce((n, g) => n + g.items.length, 0),
        transfers: guests.filter((g) => onVictim(g.sid) && g.transferredAt !== undefined).length,
      },
      statuses: count(answers.map((a) => a.status)),
      promotedAfterMs: promotedAt - killAt,
      recoveredAfterMs: lastFailure - killAt,
      failFastMs: { p50: percentile(failures.map((a) => a.ms), 0.5), p99: percentile(failures.map((a) => a.ms), 0.99), max: Math.max(0, ...failures.map((a) => a.ms)) },
      slowestMs: Math.max(...answers.map((a) => a.ms)),
      replicationDelayMs: { p50: tenths(percentile(replicationDelay, 0.5)), p99: tenths(percentile(replicationDelay, 0.99)), max: tenths(Math.max(...replicationDelay)) },
      lost: {
        guests: lost.guests.length,
        items: lost.items.length,
        transfers: lost.transfers.length,
        // How long before the kill the lost writes were acknowledged (negative: the 200 arrived after the kill).
        ackedBeforeKillMs: [...lost.guests.map((g) => killAt - g.createdAt), ...lost.items.map((i) => killAt - i.at)],
      },
      // Transfers answered although their completion reached no replica (the promoted master has none yet).
      unreplicatedTransfers: logger.lines.filter(([, line]) => line.includes('replica(s) in time')).length,
      storeErrors: (await reader.read()).get('anonymous_session.store.errors')?.points.reduce((n, p) => n + p.value, 0) ?? 0,
    };
    mkdirSync(join(__dirname, '../../artifacts'), { recursive: true });
    writeFileSync(join(__dirname, '../../artifacts/failover.json'), `${JSON.stringify(report, null, 2)}\n`);

    // Only 200 and 503 (with Retry-After); a 401 only for a guest the failover lost; nothing hung.
    for (const a of failures) {
      if (a.status === 401) expect(lostSids.has(a.sid!)).toBe(true);
      else expect({ status: a.status, retryAfter: a.retryAfter }).toEqual({ status: 503, retryAfter: '1' });
    }
    expect(report.slowestMs).toBeLessThan(4 * STORE_TIMEOUT);
    // Failures began with the kill and ended on their own, soon after the promotion.
    expect(failures.every((a) => a.at + a.ms >= killAt)).toBe(true);
    expect(lastFailure - promotedAt).toBeLessThan(5000);
    // Operators see it: the store's failures were counted.
    expect(report.storeErrors).toBeGreaterThan(0);
    // Asynchronous replication can lose only what the master acknowledged just before it died; a transfer waited
    // for its replica, so none is lost.
    for (const ms of report.lost.ackedBeforeKillMs) expect(ms).toBeLessThan(250);
    expect(report.lost.transfers).toBe(0);
    expect(unhandled).toEqual([]);
  }, 60_000);
});

/**
 * `probes` times: SET a key on `master` (on one of its slots), then read it on `replica` (READONLY) until it is there;
 * the milliseconds each took to replicate.
 */
async function replicationDelays(cluster: LocalCluster, master: ClusterNode, replica: ClusterNode, probes: number): Promise<number[]> {
  const connect = async (port: number) => {
    const c = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };
  const [writer, reader] = await Promise.all([connect(master.port), connect(replica.port)]);
  try {
    await reader.sendCommand(['READONLY']);
    let tag = 0;
    while (!master.slots.some(([from, to]) => from <= keySlot(`{p${tag}}`) && keySlot(`{p${tag}}`) <= to)) tag++;
    const delays: number[] = [];
    for (let i = 0; i < probes; i++) {
      const key = `probe:{p${tag}}:${i}`;
      await writer.set(key, '1', { PX: 60_000 });
      const acked = performance.now();
      while ((await reader.get(key)) === null && performance.now() - acked < 1000);
      delays.push(performance.now() - acked);
    }
    return delays;
  } finally {
    writer.destroy();
    reader.destroy();
  }
}

/** Polls `done` every `pauseMs` until it holds or `withinMs` passes. */
async function until(done: () => boolean | Promise<boolean>, withinMs: number, pauseMs = 20): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await done()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, pauseMs));
}

function count(values: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const tenths = (ms: number) => Math.round(ms * 10) / 10;
