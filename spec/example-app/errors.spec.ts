import express from 'express';
import request from 'supertest';
import type { Shop } from '../../example-app/app';
import { apiErrors, pageErrors } from '../../example-app/errors';
import { fromShop, mobileTokens, signUp, startShop } from './shop';

/** Stack frames, absolute paths, module names: what an error answer must never show. */
const INTERNALS = /node_modules|\/work\/|\/home\/|\bat [\w.<>]+ \(|\.ts:\d+|Error:/;

function shouldBeApiError(res: request.Response, status: number, error: string): void {
  expect({ status: res.status, type: res.type, error: res.body.error }).toEqual({ status, type: 'application/json', error });
  expect(Object.keys(res.body).sort()).toEqual(['error', 'error_description']);
  expect(res.body.error_description).toEqual(expect.any(String));
  expect(res.text).not.toMatch(INTERNALS);
}

function shouldBeFriendlyPage(res: request.Response, status: number, heading: RegExp): void {
  expect({ status: res.status, type: res.type }).toEqual({ status, type: 'text/html' });
  expect(res.text).toMatch(heading);
  expect(res.text).toMatch(/Back to the shop/);
  expect(res.text).not.toMatch(INTERNALS);
}

/** Express's final handler prints stack traces unless NODE_ENV is production: the shop must not depend on it. */
describe.each(['development', 'production'])('example shop errors under NODE_ENV=%s', (env) => {
  let shop: Shop;
  beforeAll(async () => {
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = env; // Express reads it when the app is made
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined); // the in-memory store's production warning
    try {
      shop = await startShop();
    } finally {
      process.env.NODE_ENV = saved;
      warn.mockRestore();
    }
    await signUp(shop.app, 'ada', 'correct horse');
  });
  afterAll(() => shop.close());

  describe('the API answers JSON with a stable error code', () => {
    it('POST /api/login with a wrong password: 401 invalid_credentials', async () => {
      shouldBeApiError(await request(shop.app).post('/api/login').send({ username: 'ada', password: 'wrong horse' }), 401, 'invalid_credentials');
    });

    it('POST /api/login with an empty body, or with values that are not strings: 400 invalid_request', async () => {
      shouldBeApiError(await request(shop.app).post('/api/login').send({}), 400, 'invalid_request');
      shouldBeApiError(await request(shop.app).post('/api/login').send({ username: ['ada'], password: { a: 1 } }), 400, 'invalid_request');
    });

    it('PUT /api/cart with malformed JSON: 400 invalid_body', async () => {
      const { access_token } = await mobileTokens(shop.app);
      const res = await request(shop.app).put('/api/cart').set('Authorization', `Bearer ${access_token}`).set('Content-Type', 'application/json').send('{"cart": [');
      shouldBeApiError(res, 400, 'invalid_body');
    });

    it('PUT /api/cart with a 9 KB body: 413 body_too_large', async () => {
      const { access_token } = await mobileTokens(shop.app);
      const cart = Array.from({ length: 310 }, () => ({ sku: 'kettle', quantity: 1 }));
      const body = JSON.stringify({ cart });
      expect(body.length).toBeGreaterThan(9 * 1024);
      const res = await request(shop.app).put('/api/cart').set('Authorization', `Bearer ${access_token}`).set('Content-Type', 'application/json').send(body);
      shouldBeApiError(res, 413, 'body_too_large');
    });

    it('PUT /api/cart without a cart array: 400 invalid_request', async () => {
      const { access_token } = await mobileTokens(shop.app);
      shouldBeApiError(await request(shop.app).put('/api/cart').set('Authorization', `Bearer ${access_token}`).send({ cart: 'kettle' }), 400, 'invalid_request');
    });

    it('the cart without a token or with a bad one: 401 with the RFC 6750 challenge, and the code in the body too', async () => {
      const none = await request(shop.app).get('/api/cart');
      shouldBeApiError(none, 401, 'missing_token');
      expect(none.headers['www-authenticate']).toBe('Bearer realm="anonymous"');
      const bad = await request(shop.app).get('/api/cart').set('Authorization', 'Bearer not.a.token');
      shouldBeApiError(bad, 401, 'invalid_token');
      expect(bad.headers['www-authenticate']).toMatch(/^Bearer realm="anonymous", error="invalid_token"/);
    });

    it('an API path that does not exist: 404 not_found', async () => {
      shouldBeApiError(await request(shop.app).get('/api/orders'), 404, 'not_found');
    });
  });

  describe('pages answer a friendly page', () => {
    it('a page that does not exist: 404', async () => {
      shouldBeFriendlyPage(await request(shop.app).get('/no-such-page'), 404, /Page not found/);
    });

    it('a form posted with a bearer token instead of the cookie: 400, not a crash', async () => {
      const { access_token } = await mobileTokens(shop.app);
      const res = await request(shop.app).post('/cart/add').set('Authorization', `Bearer ${access_token}`).type('form').send({ sku: 'kettle' });
      shouldBeFriendlyPage(res, 400, /These pages use the browser cookie/);
    });

    it('a form too large to read: 413', async () => {
      const res = await fromShop(request(shop.app).post('/cart/add')).type('form').send({ sku: 'kettle', note: 'x'.repeat(9 * 1024) });
      shouldBeFriendlyPage(res, 413, /too large/);
    });
  });
});

describe('example shop error handlers, for an error nobody planned', () => {
  function failingApp() {
    const app = express();
    const fail = () => {
      throw new Error(`ENOENT: no such file '${__filename}'`);
    };
    app.get('/api/x', fail);
    app.get('/x', fail);
    app.use('/api', apiErrors);
    app.use(pageErrors);
    return app;
  }

  it('answers 500 server_error on the API, and logs the details on the server only', async () => {
    const log = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      shouldBeApiError(await request(failingApp()).get('/api/x'), 500, 'server_error');
      expect(String(log.mock.calls[0]?.[1])).toMatch(/ENOENT/);
    } finally {
      log.mockRestore();
    }
  });

  it('answers a friendly 500 page', async () => {
    const log = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      shouldBeFriendlyPage(await request(failingApp()).get('/x'), 500, /Something went wrong/);
    } finally {
      log.mockRestore();
    }
  });
});
