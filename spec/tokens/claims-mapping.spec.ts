import request from 'supertest';
import type { Express } from 'express';
import { anonymousSessions, type AnonymousSessions } from '../../lib';
import { shouldRefuseOption } from '../support/config';
import { buildApp } from '../support/app';
import { decode } from '../support/oauth';
import { TEST_KEYS } from '../support/keys';

const mountRouter = (app: Express, anon: AnonymousSessions) => app.use(anon.router());

describe('claims mapping', () => {
  it('copies session attributes into access tokens; a missing value omits the claim', async () => {
    const { app } = buildApp(
      {
        rateLimit: false,
        claims: [
          { name: 'cart_id', expression: 'anonymous_session.metadata.cart_id' },
          { name: 'currency', expression: 'anonymous_session.metadata.prefs.currency' },
          { name: 'guest_since', expression: 'anonymous_session.created_at' },
          { name: 'absent', expression: 'anonymous_session.metadata.nope' },
        ],
      },
      undefined,
      mountRouter,
    );
    const res = await request(app).post('/anonymous/token').send({ metadata: { cart_id: 'c-9', prefs: { currency: 'EUR' }, secret_note: 'x' } });
    const claims = decode(res.body.access_token).claims;
    expect(claims).toMatchObject({ cart_id: 'c-9', currency: 'EUR', guest_since: expect.any(Number) });
    expect(claims).not.toHaveProperty('absent');
    expect(JSON.stringify(claims)).not.toContain('secret_note'); // no metadata unless mapped
  });

  it.each([
    [[{ name: 'sub', expression: 'anonymous_session.user_id' }], 'claims[0].name', /reserved/],
    [[{ name: 'a', expression: 'anonymous_session.user_id' }, { name: 'a', expression: 'anonymous_session.session_id' }], 'claims[1].name', /duplicates/],
    [[{ name: 'a', expression: 'session.metadata.x' }], 'claims[0].expression', /anonymous_session/],
    [[{ name: 'a', expression: 'anonymous_session.metadata.__proto__' }], 'claims[0].expression', /plain property/],
    [[{ name: 'a', expression: 'anonymous_session.password' }], 'claims[0].expression', /can read/],
    [Array.from({ length: 21 }, (_, i) => ({ name: `c${i}`, expression: 'anonymous_session.user_id' })), 'claims', /at most 20/],
  ])('refuses %j at start-up', (claims, option, message) => {
    shouldRefuseOption(() => anonymousSessions({ issuer: 'https://shop.test', audience: 'api', keys: TEST_KEYS, claims }), option, message);
  });
});
