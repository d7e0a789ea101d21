import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import passport from 'passport';
import request from 'supertest';
import type { RedisClientType } from 'redis';
import { RedisStore } from '../../lib';
import { buildApp } from '../support/app';
import { connectRedis } from '../support/redis';
import { eventually, isOk } from '../support/eventually';
import { startRedisServer, type RedisServer } from '../support/redis-server';

/** Faults on a private redis-server: killed under load, slow; bounded loops that stop by themselves. */
describe('Redis faults', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterAll(() => process.off('unhandledRejection', onUnhandled));

  it('killed under load and restarted: only 200 or 503, no unhandled rejection, acknowledged writes kept, recovery without restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eas-kill-'));
    // appendfsync always: a write Redis acknowledged is on disk, so "acknowledged" means "kept" across a kill -9.
    const args = ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always'];
    let server: RedisServer = await startRedisServer(undefined, args);
    const client = await connectRedis(server.url);
    try {
      const pp = new passport.Passport();
      const { app } = buildApp({ store: new RedisStore({ client, timeout: 300 }), rateLimit: false }, undefined, (a, anon) => {
        pp.use(anon.strategy());
        a.use(anon.router());
        a.get('/api/whoami', pp.authenticate('anonymous', { session: false }), (req, res) => res.json(req.user));
      });
      const agent = request.agent(app);
      await agent.get('/me').expect(200);
      const bearer = `Bearer ${(await request(app).post('/anonymous/token').send({})).body.access_token}`;
      const acknowledged: string[] = [];
      const statuses = new Set<number>();
      let n = 0;
      const wave = async () => {
        const batch = Array.from({ length: 10 }, () => `sku-${n++}`);
        const results = await Promise.all(batch.map((sku) => agent.post('/cart').send({ sku })));
        results.forEach((r, i) => {
          statuses.add(r.status);
          if (r.status === 200) acknowledged.push(batch[i]);
        });
      };
      for (let i = 0; i < 5; i++) await wave();
      server.process.kill('SIGKILL');
      await new Promise((resolve) => server.process.once('exit', resolve));
      for (let i = 0; i < 3; i++) await wave(); // during the outage
      const during = await agent.get('/me');
      expect(during.status).toBe(503);
      expect(during.headers['retry-after']).toBeDefined();
      // Stateless access-token checks need no store: they keep working through the outage.
      expect((await request(app).get('/api/whoami').set('Authorization', bearer)).status).toBe(200);
      server = await startRedisServer(server.port, args);
      expect((await eventually(() => agent.get('/me'), isOk)).status).toBe(200);
      for (let i = 0; i < 3; i++) await wave(); // after recovery
      const final = (await agent.get('/me')).body.metadata.cart as string[];
      expect([...statuses].sort()).toEqual([200, 503]);
      for (const sku of acknowledged) expect(final).toContain(sku);
      expect(unhandled).toEqual([]);
    } finally {
      client.destroy();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('slow Redis (a TCP proxy in front adds delay)', () => {
    let redis: RedisServer;
    let proxy: Server;
    let delayMs = 0;
    const sockets = new Set<Socket>();
    let client: RedisClientType;

    beforeAll(async () => {
      redis = await startRedisServer();
      proxy = createServer((inbound) => {
        const outbound = connect(redis.port, '127.0.0.1');
        sockets.add(inbound).add(outbound);
        const relay = (from: Socket, to: Socket) => from.on('data', (chunk) => setTimeout(() => to.writable && to.write(chunk), delayMs));
        relay(inbound, outbound);
        relay(outbound, inbound);
        const close = () => {
          inbound.destroy();
          outbound.destroy();
        };
        inbound.on('error', close).on('close', close);
        outbound.on('error', close).on('close', close);
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
      const port = (proxy.address() as { port: number }).port;
      client = await connectRedis(`redis://127.0.0.1:${port}`);
    });
    afterAll(async () => {
      client.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await redis.stop();
    });

    it('the per-operation timeout turns slowness into a 503, and the app recovers when Redis is fast again', async () => {
      const { app } = buildApp({ store: new RedisStore({ client, timeout: 150, retryAfter: 2 }), rateLimit: false });
      const agent = request.agent(app);
      await agent.get('/me').expect(200);
      delayMs = 1500;
      // Redis still answers, 1.5 s late: a 503 can only come from the 150 ms operation timeout.
      const slow = await agent.get('/me');
      expect(slow.status).toBe(503);
      expect(slow.headers['retry-after']).toBe('2');
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(Array.from({ length: 40 }, () => agent.get('/me')));
        expect(results.every((r) => r.status === 503)).toBe(true);
      }
      delayMs = 0;
      expect((await eventually(() => agent.get('/me'), isOk)).status).toBe(200);
    });
  });
});
