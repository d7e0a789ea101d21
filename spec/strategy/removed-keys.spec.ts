import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import passport from 'passport';
import { AnonymousStrategy, anonymousSessions, keygen } from '../../lib';
import { SESSION_SECRET } from '../support/keys';

/**
 * Taking a key out of rotation (the usual answer to a leak) must stop the tokens it signed at once, including the
 * ones the verified-token cache remembers.
 */
describe('a key taken out of rotation', () => {
  let issuerServer: Server;
  afterEach(() => new Promise<void>((resolve) => issuerServer.close(() => resolve())));

  it('remote JWKS: a cached token is refused once its key is no longer published', async () => {
    const leaked = keygen().accessToken[0];
    const next = keygen().accessToken[0];
    let published: 'both' | 'next' = 'both';
    const signer = anonymousSessions({ issuer: 'https://issuer.test', audience: 'api', rateLimit: false, keys: { accessToken: [leaked, next], sessionToken: { secret: SESSION_SECRET } } });
    const later = anonymousSessions({ issuer: 'https://issuer.test', audience: 'api', rateLimit: false, keys: { accessToken: [next], sessionToken: { secret: SESSION_SECRET } } });
    // The issuer's JWKS: both keys, then only the new one.
    const jwksApp = express();
    const both = express.Router().use(signer.router());
    const onlyNext = express.Router().use(later.router());
    jwksApp.use((req, res, next) => (published === 'both' ? both : onlyNext)(req, res, next));
    issuerServer = await new Promise<Server>((resolve) => {
      const s = jwksApp.listen(0, '127.0.0.1', () => resolve(s));
    });
    const jwksUri = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}/.well-known/jwks.json`;

    const api = express();
    const p = new passport.Passport();
    p.use(new AnonymousStrategy({ issuer: 'https://issuer.test', audience: 'api', jwksUri, jwksCacheMaxAge: 1 }));
    api.get('/api', p.authenticate('anonymous', { session: false }), (_req, res) => res.json({ ok: true }));

    const token = (await request(jwksApp).post('/anonymous/token').send({})).body.access_token as string;
    await request(api).get('/api').set('Authorization', `Bearer ${token}`).expect(200); // verified, and cached
    await request(api).get('/api').set('Authorization', `Bearer ${token}`).expect(200); // from the cache

    published = 'next';
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the JWKS cache age (1 s) passes
    await request(api).get('/api').set('Authorization', `Bearer ${token}`).expect(401);
  });

  it('local keys: a process configured without the key refuses its tokens, cached or not', async () => {
    const leaked = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const next = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const sessionToken = { secret: SESSION_SECRET };
    const before = anonymousSessions({ issuer: 'https://issuer.test', audience: 'api', rateLimit: false, keys: { accessToken: [leaked, next], sessionToken } });
    const after = anonymousSessions({ issuer: 'https://issuer.test', audience: 'api', rateLimit: false, keys: { accessToken: [next], sessionToken } });
    const app = express();
    app.use(before.router());
    issuerServer = app.listen(0);
    const token = (await request(app).post('/anonymous/token').send({})).body.access_token as string;
    const api = (anon: typeof before) => {
      const a = express();
      const p = new passport.Passport();
      p.use(anon.strategy());
      a.get('/api', p.authenticate('anonymous', { session: false }), (_req, res) => res.json({ ok: true }));
      return a;
    };
    await request(api(before)).get('/api').set('Authorization', `Bearer ${token}`).expect(200);
    await request(api(after)).get('/api').set('Authorization', `Bearer ${token}`).expect(401);
  });
});
