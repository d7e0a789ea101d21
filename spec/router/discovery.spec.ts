import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import request from 'supertest';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { anonymousSessions } from '../../lib';
import { thumbprint } from '../../lib/tokens/keys';
import { buildApp, ISSUER, AUDIENCE } from '../support/app';
import { SESSION_SECRET, TEST_KEYS } from '../support/keys';

const mountRouter = (app: express.Express, anon: import('../../lib').AnonymousSessions) => app.use(anon.router());

describe('GET /.well-known/jwks.json', () => {
  it('publishes public access-token keys only, kid = RFC 7638 thumbprint', async () => {
    const { app } = buildApp({}, undefined, mountRouter);
    const res = await request(app).get('/.well-known/jwks.json').expect(200);
    expect(res.headers['content-type']).toMatch(/application\/jwk-set\+json/);
    expect(res.body.keys).toHaveLength(1);
    const [key] = res.body.keys;
    expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(key.kid).toBe(thumbprint(key));
    expect(JSON.stringify(res.body)).not.toContain(SESSION_SECRET);
  });

  it('lists every rotation key; the first signs', async () => {
    const oldKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const newKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const { app } = buildApp({ rateLimit: false, keys: { ...TEST_KEYS, accessToken: [newKey, oldKey] } }, undefined, mountRouter);
    const jwks = (await request(app).get('/.well-known/jwks.json')).body.keys;
    expect(jwks.map((k: { kid: string }) => k.kid)).toEqual([thumbprint(newKey as never), thumbprint(oldKey as never)]);
    const token = (await request(app).post('/anonymous/token').send({})).body.access_token as string;
    expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid).toBe(jwks[0].kid);
  });
});

describe('GET /.well-known/oauth-authorization-server (RFC 8414)', () => {
  it('describes the issuer and exactly the endpoints, grants and auth methods that work (public clients only)', async () => {
    const { app } = buildApp({ scopes: ['cart:read'] }, undefined, mountRouter);
    const res = await request(app).get('/.well-known/oauth-authorization-server').expect(200);
    expect(res.body).toEqual({
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/anonymous/token`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      revocation_endpoint: `${ISSUER}/anonymous/revoke`,
      response_types_supported: [],
      grant_types_supported: ['urn:express-anonymous-session:anonymous', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      scopes_supported: ['cart:read'],
      access_token_signing_alg_values_supported: ['ES256'],
    });
  });

  it('advertises introspection and secret-based auth once a confidential client exists', async () => {
    const clients = [{ id: 'web' }, { id: 'api', secret: 'x'.repeat(16) + 'y'.repeat(16) }];
    const { app } = buildApp({ clients }, undefined, mountRouter);
    const res = await request(app).get('/.well-known/oauth-authorization-server').expect(200);
    expect(res.body).toMatchObject({
      introspection_endpoint: `${ISSUER}/anonymous/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    });
  });

  it('inserts the well-known segment before an issuer path', async () => {
    const { app } = buildApp({ issuer: 'https://shop.test/tenant-a' }, undefined, mountRouter);
    const res = await request(app).get('/.well-known/oauth-authorization-server/tenant-a').expect(200);
    expect(res.body.issuer).toBe('https://shop.test/tenant-a');
    expect(res.body.token_endpoint).toBe('https://shop.test/tenant-a/anonymous/token');
  });
});

describe('a separate resource server', () => {
  let server: Server;
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('verifies access tokens through the JWKS URL over HTTP alone: no shared secret, no call back', async () => {
    // The issuer runs on a real port so the resource server fetches its JWKS over HTTP.
    const anonApp = express();
    let issuer = '';
    const listening = await new Promise<Server>((resolve) => {
      const s = anonApp.listen(0, '127.0.0.1', () => resolve(s));
    });
    server = listening;
    issuer = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
    const anon = anonymousSessions({ issuer, audience: AUDIENCE, keys: TEST_KEYS, rateLimit: false });
    anonApp.use(anon.router());

    const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
    const api = express();
    api.get('/api/whoami', async (req, res) => {
      try {
        const token = (req.get('authorization') ?? '').replace(/^Bearer /, '');
        const { payload } = await jwtVerify(token, jwks, { issuer, audience: AUDIENCE, typ: 'at+jwt', algorithms: ['ES256'] });
        res.json({ sub: payload.sub, anonymous: payload.anonymous });
      } catch {
        res.status(401).end();
      }
    });

    const token = await request(issuer).post('/anonymous/token').send({});
    const res = await request(api).get('/api/whoami').set('Authorization', `Bearer ${token.body.access_token}`).expect(200);
    expect(res.body).toEqual({ sub: expect.stringMatching(/^anon\|/), anonymous: true });
    // and it refuses a session token presented as an access token
    await request(api).get('/api/whoami').set('Authorization', `Bearer ${token.body.session_token}`).expect(401);
  });
});
