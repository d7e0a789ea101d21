import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import type { AnonymousSessions } from '../../lib';
import { MemoryStore } from '../../lib';
import { buildApp } from '../support/app';
import { internals } from '../support/internals';
import { decode, shouldBeOAuthError, shouldBeTokenResponse } from '../support/oauth';

const mountRouter = (app: Express, anon: AnonymousSessions) => app.use(anon.router());
const create = (app: Express, key?: string) => {
  const req = request(app).post('/anonymous/token');
  return (key === undefined ? req : req.set('Idempotency-Key', key)).send({});
};
const storedGuests = (anon: AnonymousSessions) => (internals(anon).store as MemoryStore).size;

describe('POST /anonymous/token: Idempotency-Key at creation', () => {
  it('cannot skip the creation limit: a key refused with 429 stays refused on retry and stores nothing', async () => {
    const { app, anon } = buildApp({ rateLimit: { points: 1, duration: 60 } }, undefined, mountRouter);
    shouldBeTokenResponse(await create(app));
    const statuses: number[][] = [];
    for (let i = 0; i < 5; i++) {
      const key = randomUUID();
      statuses.push([(await create(app, key)).status, (await create(app, key)).status]);
    }
    expect(statuses).toEqual(Array(5).fill([429, 429]));
    expect(storedGuests(anon)).toBe(1);
  });

  it('gives a retry the guest the first attempt made, never a second guest', async () => {
    const { app, anon } = buildApp({ rateLimit: false }, undefined, mountRouter);
    const key = randomUUID();
    const first = await create(app, key);
    const retry = await create(app, key);
    shouldBeTokenResponse(retry);
    expect(decode(retry.body.access_token).claims.sub).toBe(decode(first.body.access_token).claims.sub);
    expect(storedGuests(anon)).toBe(1);
  });

  it('refuses a guessable key: it works as a credential for 24 hours', async () => {
    const { app, anon } = buildApp({ rateLimit: false }, undefined, mountRouter);
    const weak = [
      'k',
      'install-42',
      'spaces are not allowed in keys, ever',
      'a'.repeat(22),
      '0000000000000000000000',
      '00000000-0000-0000-0000-000000000000',
      '1234567890123456789012',
      'abababababababababababab',
    ];
    for (const key of weak) {
      const res = await create(app, key);
      shouldBeOAuthError(res, 400, 'invalid_request');
      expect(res.body.error_description).toMatch(/22 to 255 random/);
    }
    expect(storedGuests(anon)).toBe(0);
    shouldBeTokenResponse(await create(app, randomUUID()));
    shouldBeTokenResponse(await create(app, randomBytes(16).toString('base64url')));
  });

  it('refuses a key reused for a different request: a leaked key does not hand out the first guest to another body', async () => {
    const { app, anon } = buildApp({ rateLimit: false }, undefined, mountRouter);
    const key = randomUUID();
    await request(app).post('/anonymous/token').set('Idempotency-Key', key).send({ metadata: { cart: ['tea'] } }).expect(200);
    const other = await request(app).post('/anonymous/token').set('Idempotency-Key', key).send({ metadata: { cart: ['mug'] } });
    shouldBeOAuthError(other, 400, 'invalid_request');
    expect(other.body.error_description).toMatch(/already used for a different request/);
    expect(storedGuests(anon)).toBe(1);
  });

  it('scopes a key to its client: the same key from another client is another guest', async () => {
    const { app } = buildApp({ rateLimit: false, clients: [{ id: 'ios' }, { id: 'android' }] }, undefined, mountRouter);
    const key = randomUUID();
    const ios = await request(app).post('/anonymous/token').set('Idempotency-Key', key).send({ client_id: 'ios' });
    const android = await request(app).post('/anonymous/token').set('Idempotency-Key', key).send({ client_id: 'android' });
    expect(decode(ios.body.access_token).claims.sub).not.toBe(decode(android.body.access_token).claims.sub);
  });
});
