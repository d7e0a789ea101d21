import request from 'supertest';
import type { Express } from 'express';
import { RedisStore, type AnonymousSessions } from '../../lib';
import { clientKey } from '../../lib/session/creation-limit';
import { buildApp } from '../support/app';
import { uniquePrefix } from '../support/redis';
import { useRedisClient } from '../support/redis-client';
import { shouldBeOAuthError, shouldBeTokenResponse } from '../support/oauth';

const mountRouter = (app: Express, anon: AnonymousSessions) => {
  app.set('trust proxy', true); // the tests choose client addresses with X-Forwarded-For
  app.use(anon.router());
};
const from = (app: Express, ip: string) => request(app).post('/anonymous/token').set('X-Forwarded-For', ip).send({});

describe('session creation rate limit', () => {
  it('answers 429 with Retry-After past the limit, per client address', async () => {
    const { app } = buildApp({ rateLimit: { points: 3, duration: 60 } }, undefined, mountRouter);
    for (let i = 0; i < 3; i++) shouldBeTokenResponse(await from(app, '203.0.113.7'));
    const limited = await from(app, '203.0.113.7');
    shouldBeOAuthError(limited, 429, 'rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    shouldBeTokenResponse(await from(app, '203.0.113.8'));
  });

  it('groups IPv6 addresses by prefix (one subscriber, one budget)', async () => {
    const { app } = buildApp({ rateLimit: { points: 2, duration: 60, ipv6Prefix: 56 } }, undefined, mountRouter);
    shouldBeTokenResponse(await from(app, '2001:db8:1:100::1'));
    shouldBeTokenResponse(await from(app, '2001:db8:1:1ff:abcd::9'));
    shouldBeOAuthError(await from(app, '2001:db8:1:1aa::5'), 429, 'rate_limited');
    shouldBeTokenResponse(await from(app, '2001:db8:1:200::1'));
    expect(clientKey('::ffff:192.0.2.1', 56)).toBe('192.0.2.1');
    expect(clientKey('2001:db8::1', 48)).toBe('2001:db8:0:0:0:0:0:0/48');
  });

  it("without Express's trust proxy, X-Forwarded-For is ignored: a client cannot pick a fresh address per request", async () => {
    const { app } = buildApp({ rateLimit: { points: 2, duration: 60 } }, undefined, (a, anon) => a.use(anon.router()));
    shouldBeTokenResponse(await from(app, '192.0.2.1'));
    shouldBeTokenResponse(await from(app, '192.0.2.2'));
    shouldBeOAuthError(await from(app, '192.0.2.3'), 429, 'rate_limited');
  });

  it('renewals do not count against the creation limit', async () => {
    const { app } = buildApp({ rateLimit: { points: 1, duration: 60 } }, undefined, mountRouter);
    const first = await from(app, '198.51.100.1');
    for (let i = 0; i < 3; i++) {
      shouldBeTokenResponse(await request(app).post('/anonymous/token').set('X-Forwarded-For', '198.51.100.1').send({ session_token: first.body.session_token }));
    }
  });

  it('limits cookie-path auto-issue too: past the limit pages render for an unstored guest', async () => {
    const { app, anon } = buildApp({ rateLimit: { points: 1, duration: 60 } }, undefined, mountRouter);
    const a = await request(app).get('/me').set('X-Forwarded-For', '192.0.2.50');
    expect(a.body.persisted).toBe(true);
    const b = await request(app).get('/me').set('X-Forwarded-For', '192.0.2.50').expect(200);
    expect(b.body.persisted).toBe(false);
    expect(b.headers['set-cookie']).toBeUndefined();
    expect(await anon.getSession(b.body.sessionId)).toBeUndefined();
  });

  describe('on Redis', () => {
    const redis = useRedisClient();

    it('holds in total across app instances sharing Redis, not per instance', async () => {
      const prefix = uniquePrefix('rl');
      const apps = [1, 2, 3].map(() => buildApp({ store: new RedisStore({ client: redis(), prefix }), rateLimit: { points: 4, duration: 60 } }, undefined, mountRouter).app);
      const statuses: number[] = [];
      for (let i = 0; i < 9; i++) statuses.push((await from(apps[i % 3], '203.0.113.99')).status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(4);
      expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    });
  });
});
