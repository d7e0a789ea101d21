import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createApp, type Shop } from '../../example-app/app';
import { TEST_KEYS } from '../support/keys';
import { decode } from '../support/oauth';
import { browserOn, fromShop, SHOP_HOST, SHOP_ORIGIN, signUp, startShop } from './shop';

/** The API cart page's server side: the page and its script, the API it calls, and the login that takes its guest. */
describe('example shop: the API cart', () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await startShop();
  });
  afterAll(() => shop.close());

  const spaTokens = async () => (await request(shop.app).post('/anonymous/token').type('form').send({ client_id: 'shop-spa' }).expect(200)).body;

  it('serves the page under a CSP that runs the shop’s own script only, and no cookie guest with it', async () => {
    const res = await request(shop.app).get('/api-cart').set('Host', SHOP_HOST).expect(200);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toMatch(/(^|; )default-src 'none'(;|$)/);
    expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(csp).toMatch(/(^|; )connect-src 'self'(;|$)/);
    expect(csp).toMatch(/(^|; )style-src 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);
    expect(res.text).toContain('<script type="module" src="/assets/api-cart.js"></script>');
    expect(res.text).not.toMatch(/<script>|onclick=|onchange=/);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('serves the script: the page bundled with the client', async () => {
    const res = await request(shop.app).get('/assets/api-cart.js').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/javascript/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.text).toContain('/anonymous/token');
    expect(res.text).toContain('shop-spa');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('GET /api/guest names the token’s guest; PATCH /api/cart changes one line atomically', async () => {
    const tokens = await spaTokens();
    const auth = `Bearer ${tokens.access_token}`;
    expect((await request(shop.app).get('/api/guest').set('Authorization', auth).expect(200)).body).toEqual({ id: decode(tokens.access_token).claims.sub });
    // Ten additions at once from two "tabs": every one lands.
    await Promise.all(Array.from({ length: 10 }, () => request(shop.app).patch('/api/cart').set('Authorization', auth).send({ sku: 'tea-earl', add: 1 }).expect(200)));
    const after = await request(shop.app).patch('/api/cart').set('Authorization', auth).send({ sku: 'tea-earl', add: -3 }).expect(200);
    expect(after.body).toEqual({ cart: [{ sku: 'tea-earl', quantity: 7 }] });
    expect((await request(shop.app).patch('/api/cart').set('Authorization', auth).send({ sku: 'tea-earl', add: -99 }).expect(200)).body).toEqual({ cart: [] });
    for (const body of [{ sku: 'bogus', add: 1 }, { sku: 'kettle', add: 1.5 }, { sku: 'kettle', add: 100 }, { sku: 'kettle' }, ['kettle']]) {
      expect((await request(shop.app).patch('/api/cart').set('Authorization', auth).send(body)).body.error).toBe('invalid_request');
    }
    await request(shop.app).patch('/api/cart').send({ sku: 'kettle', add: 1 }).expect(401);
  });

  it('a login reached with a ticket carries it through its form; the POST takes the ticket’s guest and goes on to next', async () => {
    await signUp(shop.app, 'ticket-user', 'ticket-password');
    const tokens = await spaTokens();
    await request(shop.app).patch('/api/cart').set('Authorization', `Bearer ${tokens.access_token}`).send({ sku: 'mug-stone', add: 2 }).expect(200);
    const { transfer_ticket: ticket } = (
      await request(shop.app).post('/anonymous/token').type('form').send({ client_id: 'shop-spa', session_token: tokens.session_token, requested_token_type: 'transfer_ticket' }).expect(200)
    ).body;

    const browser = browserOn(shop.app);
    const form = await browser.get(`/login?next=/api-cart&transfer_ticket=${ticket}`).set('Host', SHOP_HOST).expect(200);
    expect(form.text).toContain(`<input type="hidden" name="transfer_ticket" value="${ticket}">`);
    expect(form.text).toContain('<input type="hidden" name="next" value="/api-cart">');
    expect(form.text).toContain('<span class="who" data-testid="who">Visitor</span>'); // no cookie guest of its own
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];

    const login = await fromShop(browser.post('/login')).type('form').send({ _csrf: csrf, username: 'ticket-user', password: 'ticket-password', next: '/api-cart', transfer_ticket: ticket });
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/api-cart');
    const cart = await browser.get('/cart').set('Host', SHOP_HOST).expect(200);
    expect(cart.text).toContain('Your guest cart was added to your account');
    expect(cart.text).toMatch(/data-testid="qty-mug-stone"[^>]*value="2"|value="2"[^>]*data-testid="qty-mug-stone"/);
    // The API cart's guest is spent, and the server says how.
    const renew = await request(shop.app).post('/anonymous/token').type('form').send({ client_id: 'shop-spa', session_token: tokens.session_token });
    expect(renew.body).toMatchObject({ error: 'invalid_grant', anonymous_session_state: 'transferred' });
  });

  it.each(['//evil.test/', '/\\evil.test', 'https://evil.test/', 'javascript:alert(1)', '/cart?x=1'])('ignores next=%s: a login goes on to the cart', async (next) => {
    const browser = browserOn(shop.app);
    const username = `n${randomBytes(6).toString('hex')}`;
    await fromShop(browser.post('/signup')).type('form').send({ username, password: 'next-password' }).expect(303);
    await fromShop(browser.post('/logout')).type('form').send({}).expect(303);
    const form = await browser.get(`/login?next=${encodeURIComponent(next)}`).set('Host', SHOP_HOST).expect(200);
    expect(form.text).not.toContain('name="next"');
    const login = await fromShop(browser.post('/login')).type('form').send({ username, password: 'next-password', next });
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/cart');
  });

  it('ACCESS_TOKEN_LIFETIME reaches the tokens', async () => {
    const short = await createApp({ publicUrl: SHOP_ORIGIN, sessionSecret: randomBytes(32).toString('base64url'), keys: TEST_KEYS, accessTokenLifetime: 3 });
    try {
      const tokens = (await request(short.app).post('/anonymous/token').type('form').send({ client_id: 'shop-spa' }).expect(200)).body;
      expect(tokens.expires_in).toBe(3);
      const { exp, iat } = decode(tokens.access_token).claims;
      expect(exp! - iat!).toBe(3);
    } finally {
      await short.close();
    }
  });
});
