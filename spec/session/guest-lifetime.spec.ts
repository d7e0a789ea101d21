import express from 'express';
import session, { type CookieOptions } from 'express-session';
import request from 'supertest';
import { RedisStore as SessionRedisStore } from 'connect-redis';
import { anonymousSessions, RedisStore, sessionCookieDefaults } from '../../lib';
import { ISSUER, AUDIENCE } from '../support/app';
import { TEST_KEYS } from '../support/keys';
import { uniquePrefix } from '../support/redis';
import { useRedisClient } from '../support/redis-client';

const DAY = 86_400;
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36';

/**
 * A shopper who returns tomorrow must find their cart: the cookie and express-session's store must keep the
 * browser's binding as long as the guest lives (lifetimes.idle, 7 days by default), not until the browser closes
 * or connect-redis's one-day default.
 */
describe('the guest outlives the browser session: cookie and store lifetimes', () => {
  const redis = useRedisClient();

  function shop(cookie: (anon: ReturnType<typeof anonymousSessions>) => CookieOptions) {
    const prefix = uniquePrefix('lifetime');
    const warnings: string[] = [];
    const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, store: new RedisStore({ client: redis(), prefix }), logger: { warn: (m) => warnings.push(m) } });
    const app = express();
    // connect-redis as the README sets it up: no ttl option (its default is one day).
    app.use(session({ store: new SessionRedisStore({ client: redis(), prefix: `${prefix}sess:` }), secret: 'test secret that is long enough', resave: false, saveUninitialized: false, cookie: cookie(anon) }));
    app.use(anon.middleware());
    app.get('/', (req, res) => res.type('html').send(req.anonymous?.id ?? ''));
    return { app, warnings, prefix };
  }

  it('anon.cookieOptions(): the cookie and the stored session last the guest\'s whole lifetime, and nothing is warned', async () => {
    const { app, warnings, prefix } = shop((anon) => anon.cookieOptions());
    const res = await request(app).get('/').set('User-Agent', BROWSER).expect(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const expires = Date.parse(/Expires=([^;]+)/.exec(cookie)![1]);
    expect(expires - Date.now()).toBeGreaterThan(29 * DAY * 1000); // lifetimes.absolute: 30 days
    const sid = /^s:([^.]+)/.exec(decodeURIComponent(/connect\.sid=([^;]+)/.exec(cookie)![1]))![1];
    expect(await redis().ttl(`${prefix}sess:${sid}`)).toBeGreaterThan(7 * DAY); // beyond lifetimes.idle
    expect(warnings).toEqual([]);
  });

  it('a browser-session cookie (no maxAge) is warned about once, naming the fix', async () => {
    const { app, warnings } = shop(() => ({ ...sessionCookieDefaults }));
    await request(app).get('/').set('User-Agent', BROWSER);
    await request(app).get('/').set('User-Agent', BROWSER);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cookie has no maxAge.*anon\.cookieOptions\(\)/);
  });

  it('a cookie shorter than lifetimes.idle is warned about', async () => {
    const { app, warnings } = shop((anon) => anon.cookieOptions({ maxAge: DAY * 1000 }));
    await request(app).get('/').set('User-Agent', BROWSER);
    expect(warnings.join()).toMatch(/cookie lives 86400 s, less than lifetimes\.idle \(604800 s\)/);
  });
});
