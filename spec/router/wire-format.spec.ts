import request from 'supertest';
import type { Express } from 'express';
import type { AnonymousSessions } from '../../lib';
import { DESCRIPTION_CHARS } from '../../lib/config/validate';
import { buildApp } from '../support/app';
import { shouldBeOAuthError } from '../support/oauth';

const SECRET = 'confidential-client-secret'.padEnd(40, 'x');
const mountRouter = (app: Express, anon: AnonymousSessions) => app.use(anon.router());
const clients = [{ id: 'default', scopes: ['cart'] }, { id: 'shop-mobile', scopes: ['cart'] }, { id: 'backend', secret: SECRET }];

describe('the endpoints on the wire', () => {
  let app: Express;
  beforeAll(() => {
    ({ app } = buildApp({ rateLimit: false, scopes: ['cart'], clients }, undefined, mountRouter));
  });

  describe('repeated parameters (RFC 6749 section 3.2)', () => {
    it('refuses a JSON body that repeats a key, as it refuses a form that repeats a field', async () => {
      const json = await request(app).post('/anonymous/token').type('json').send('{"client_id":"default","client_id":"shop-mobile"}');
      shouldBeOAuthError(json, 400, 'invalid_request');
      const form = await request(app).post('/anonymous/token').type('form').send('client_id=default&client_id=shop-mobile');
      shouldBeOAuthError(form, 400, 'invalid_request');
    });

    it('refuses a repeated key inside metadata too, and accepts the same key in sibling objects', async () => {
      shouldBeOAuthError(await request(app).post('/anonymous/token').type('json').send('{"client_id":"default","metadata":{"a":1,"a":2}}'), 400, 'invalid_request');
      const ok = await request(app).post('/anonymous/token').type('json').send('{"client_id":"default","metadata":{"x":{"a":1},"y":{"a":2},"s":"\\"a\\":"}}');
      expect(ok.status).toBe(200);
    });
  });

  describe('a POST without a body', () => {
    it('has no parameters: it is answered as an empty JSON body is, not with a content-type error', async () => {
      const { app: open } = buildApp({ rateLimit: false }, undefined, mountRouter); // the default public client
      const bare = await request(open).post('/anonymous/token');
      expect(bare.status).toBe(200);
      expect(bare.body.token_type).toBe('Bearer');
      const revoke = await request(app).post('/anonymous/revoke');
      const revokeEmpty = await request(app).post('/anonymous/revoke').send({});
      shouldBeOAuthError(revoke, revokeEmpty.status, revokeEmpty.body.error);
    });

    it('names the missing client_id when no default client exists, as for {}', async () => {
      const { app: strict } = buildApp({ rateLimit: false, clients: [{ id: 'web' }] }, undefined, mountRouter);
      const empty = await request(strict).post('/anonymous/token').send({});
      const bare = await request(strict).post('/anonymous/token');
      shouldBeOAuthError(bare, empty.status, empty.body.error);
      expect(bare.body.error_description).toBe(empty.body.error_description);
      expect(bare.body.error_description).toMatch(/client_id/);
    });

    it('still refuses a body of another type', async () => {
      shouldBeOAuthError(await request(app).post('/anonymous/token').type('text/plain').send('x'), 400, 'invalid_request');
    });
  });

  describe('error_description (RFC 6749 section 5.2)', () => {
    const MARK = 'ZQX';
    const bad: Array<[string, () => request.Test]> = [
      ['unknown scope', () => request(app).post('/anonymous/token').send({ scope: `"${MARK}"` })],
      ['scope not allowed', () => request(app).post('/anonymous/token').send({ scope: `${MARK}scope` })],
      ['audience', () => request(app).post('/anonymous/token').send({ audience: `https://${MARK}.test` })],
      ['client', () => request(app).post('/anonymous/token').send({ client_id: `${MARK}"client` })],
      ['user id', () => request(app).post('/anonymous/token').send({ user_id: `${MARK}` })],
      ['forbidden metadata key', () => request(app).post('/anonymous/token').type('json').send(`{"metadata":{"constructor":"${MARK}"}}`)],
      ['metadata not an object', () => request(app).post('/anonymous/token').send({ metadata: [MARK] })],
      ['grant type', () => request(app).post('/anonymous/token').send({ grant_type: `${MARK}"grant` })],
      ['ticket type', () => request(app).post('/anonymous/token').send({ session_token: 'a.b.c', requested_token_type: MARK })],
      ['session token', () => request(app).post('/anonymous/token').send({ session_token: `${MARK}.${MARK}.${MARK}` })],
      ['idempotency key', () => request(app).post('/anonymous/token').set('Idempotency-Key', `${MARK}`).send({})],
      ['secret', () => request(app).post('/anonymous/token').auth('backend', `${MARK}"`).send({})],
      ['malformed basic', () => request(app).post('/anonymous/token').set('Authorization', `Basic ${Buffer.from(MARK).toString('base64')}`).send({})],
      ['content type', () => request(app).post('/anonymous/token').type('text/plain').send(MARK)],
      ['malformed json', () => request(app).post('/anonymous/token').type('json').send(`{"${MARK}`)],
      ['revocation without token', () => request(app).post('/anonymous/revoke').send({ client_id: MARK })],
      ['introspection by a public client', () => request(app).post('/anonymous/introspect').send({ token: MARK })],
      ['logout with a bad token', () => request(app).post('/anonymous/logout').send({ session_token: `${MARK}.a.b` })],
    ];

    it.each(bad)('%s: allowed characters only, and no request value echoed', async (_name, send) => {
      const res = await send();
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(typeof res.body.error_description).toBe('string');
      expect(res.body.error_description).toMatch(DESCRIPTION_CHARS);
      expect(res.body.error_description).not.toContain(MARK);
    });
  });

  describe('methods', () => {
    it.each(['/anonymous/token', '/anonymous/logout', '/anonymous/revoke', '/anonymous/introspect'])('%s answers other methods with 405, Allow: POST and an OAuth body', async (path) => {
      for (const method of ['get', 'put', 'delete', 'patch'] as const) {
        const res = await request(app)[method](path);
        shouldBeOAuthError(res, 405, 'invalid_request');
        expect(res.headers.allow).toBe('POST');
      }
    });

    it.each(['/.well-known/jwks.json', '/.well-known/oauth-authorization-server'])('%s answers POST with 405 and Allow: GET, HEAD', async (path) => {
      const res = await request(app).post(path).send({});
      shouldBeOAuthError(res, 405, 'invalid_request');
      expect(res.headers.allow).toBe('GET, HEAD');
      expect((await request(app).head(path)).status).toBe(200);
    });
  });
});
