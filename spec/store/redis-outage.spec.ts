import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { RedisStore as SessionRedisStore } from 'connect-redis';
import type { RedisClientType } from 'redis';
import { RedisStore } from '../../lib';
import { buildApp } from '../support/app';
import { connectRedis } from '../support/redis';
import { eventually, isOk } from '../support/eventually';
import { startRedisServer, type RedisServer } from '../support/redis-server';

/** A private redis-server this test stops and restarts; the shared one is never touched. */
describe('Redis outage', () => {
  let server: RedisServer;
  let client: RedisClientType;
  const dir = mkdtempSync(join(tmpdir(), 'eas-outage-'));
  const args = ['--dir', dir, '--dbfilename', 'dump.rdb'];

  beforeAll(async () => {
    server = await startRedisServer(undefined, args);
    client = await connectRedis(server.url);
  });
  afterAll(async () => {
    client.destroy();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After while Redis is down, never a hang or a 401, and recovers by itself', async () => {
    const { app } = buildApp(
      { store: new RedisStore({ client, timeout: 300, retryAfter: 7 }) },
      new SessionRedisStore({ client }),
    );
    const agent = request.agent(app);
    const guest = (await agent.get('/me').expect(200)).body;
    await agent.post('/cart').send({ sku: 'tea' }).expect(200);

    // Persist what was acknowledged, then stop: the restart below brings it back.
    const admin = await connectRedis(server.url);
    await admin.sendCommand(['SHUTDOWN', 'SAVE']).catch(() => undefined);
    admin.destroy();
    await new Promise((resolve) => server.process.once('exit', resolve));

    for (const path of ['/me', '/me']) {
      const res = await agent.get(path);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.body.error).toBe('temporarily_unavailable');
    }
    const down = await request(app).post('/cart').send({ sku: 'x' });
    expect(down.status).toBe(503);

    server = await startRedisServer(server.port, args);
    const res = await eventually(() => agent.get('/me'), isOk);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(guest.id);
    expect(res.body.metadata).toEqual({ cart: ['tea'] });
  });

  it('a store that stops answering (paused server) turns into a 503 after the operation timeout', async () => {
    const { app } = buildApp({ store: new RedisStore({ client, timeout: 200 }) });
    const agent = request.agent(app);
    await agent.get('/me').expect(200);
    server.process.kill('SIGSTOP');
    try {
      const res = await agent.get('/me');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
    } finally {
      server.process.kill('SIGCONT');
    }
    expect((await eventually(() => agent.get('/me'), isOk)).status).toBe(200);
  });
});
