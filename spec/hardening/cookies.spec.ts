import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { anonymousSessions, MemoryStore, sessionCookieDefaults } from '../../lib';
import { ISSUER, AUDIENCE } from '../support/app';
import { TEST_KEYS } from '../support/keys';

function app(trustProxy: boolean) {
  const store = new MemoryStore();
  const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, store, rateLimit: false, persist: 'always' });
  const a = express();
  if (trustProxy) a.set('trust proxy', 1);
  a.use(session({ secret: 'a cookie test secret', resave: false, saveUninitialized: false, cookie: { ...sessionCookieDefaults } }));
  a.use(anon.middleware());
  a.get('/', (req, res) => res.json({ id: req.anonymous?.id }));
  return { app: a, store };
}
const setCookie = (res: request.Response) => String((res.headers['set-cookie'] as unknown as string[])[0]);

describe('cookie defaults', () => {
  it('are HttpOnly and SameSite=Lax, without Secure over plain HTTP (development works)', async () => {
    const cookie = setCookie(await request(app(false).app).get('/'));
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).not.toMatch(/; Secure/);
  });

  it("are Secure behind a TLS proxy when Express's trust proxy says so", async () => {
    const cookie = setCookie(await request(app(true).app).get('/').set('X-Forwarded-Proto', 'https'));
    expect(cookie).toMatch(/; Secure/);
    // without trust proxy, a forged X-Forwarded-Proto does not make the request secure
    expect(setCookie(await request(app(false).app).get('/').set('X-Forwarded-Proto', 'https'))).not.toMatch(/; Secure/);
  });

  it('a tampered cookie gives a fresh guest without a store lookup for the forged id', async () => {
    const { app: a, store } = app(false);
    const first = await request(a).get('/');
    const cookie = setCookie(first).split(';')[0];
    const get = jest.spyOn(store, 'get');
    const [name, value] = cookie.split('=');
    const tampered = `${name}=${value.slice(0, -3)}${value.endsWith('abc') ? 'xyz' : 'abc'}`;
    const second = await request(a).get('/').set('Cookie', tampered);
    expect(second.body.id).not.toBe(first.body.id);
    expect(get).not.toHaveBeenCalled();
  });
});
