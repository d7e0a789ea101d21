import request from 'supertest';
import type { Express } from 'express';
import type { Shop } from '../../example-app/app';
import { browserOn, fromShop, mobileTokens, signUp, startShop, SHOP_HOST } from './shop';

type Browser = ReturnType<typeof browserOn>;

/** A page on a sibling subdomain: the same site as the shop (SameSite=Lax cookies go along), another origin. */
const SIBLING = 'http://evil.shop.test';

/** How a browser labels a post from the attacker's page: with Fetch Metadata, with Origin only, or with neither. */
const CROSS_SITE_POSTS: Array<[string, (test: request.Test) => request.Test]> = [
  ['Sec-Fetch-Site: same-site (a sibling subdomain)', (t) => t.set('Host', SHOP_HOST).set('Sec-Fetch-Site', 'same-site').set('Origin', SIBLING)],
  ['Sec-Fetch-Site: cross-site', (t) => t.set('Host', SHOP_HOST).set('Sec-Fetch-Site', 'cross-site').set('Origin', 'https://evil.example')],
  ['only Origin of a sibling subdomain', (t) => t.set('Host', SHOP_HOST).set('Origin', SIBLING)],
  ['neither header and no token (an old browser)', (t) => t.set('Host', SHOP_HOST)],
];

async function cartCount(browser: Browser): Promise<string> {
  return /data-testid="cart-link">Cart \((\d+)\)/.exec((await browser.get('/').set('Host', SHOP_HOST)).text)![1];
}
async function whoIs(browser: Browser): Promise<string> {
  return /data-testid="who">(.*?)<\/span>/.exec((await browser.get('/').set('Host', SHOP_HOST)).text)![1];
}
/** The token the shop's pages embed in their forms, for this browser's session. */
async function pageToken(browser: Browser): Promise<string> {
  return /name="_csrf" value="([^"]+)"/.exec((await browser.get('/').set('Host', SHOP_HOST)).text)![1];
}

function shouldBeRefusedPage(res: request.Response): void {
  expect({ status: res.status, type: res.type }).toEqual({ status: 403, type: 'text/html' });
  expect(res.text).toMatch(/We did not do that/);
}

describe('example shop: cross-site requests are refused (CSRF)', () => {
  let shop: Shop;
  let app: Express;
  beforeAll(async () => {
    shop = await startShop();
    app = shop.app;
    await signUp(app, 'mallory', 'attacker-password');
  });
  afterAll(() => shop.close());

  describe.each(CROSS_SITE_POSTS)('a post from another origin, labelled with %s', (_label, crossSite) => {
    it("does not add to the victim's guest cart", async () => {
      const victim = browserOn(app);
      await fromShop(victim.post('/cart/add')).type('form').send({ sku: 'tea-earl' }).expect(303);
      shouldBeRefusedPage(await crossSite(victim.post('/cart/add')).type('form').send({ sku: 'kettle' }));
      expect(await cartCount(victim)).toBe('1');
    });

    it("does not sign the victim's browser into the attacker's account (login CSRF)", async () => {
      const victim = browserOn(app);
      await victim.get('/').set('Host', SHOP_HOST);
      shouldBeRefusedPage(await crossSite(victim.post('/login')).type('form').send({ username: 'mallory', password: 'attacker-password' }));
      expect(await whoIs(victim)).toMatch(/^Guest /);
    });

    it("does not carry the victim's guest cart into the attacker's account through the JSON login route", async () => {
      const victim = browserOn(app);
      await fromShop(victim.post('/cart/add')).type('form').send({ sku: 'mug-stone' }).expect(303);
      // A form can post url-encoded fields to /api/login; the browser adds the victim's cookie, the guest's source.
      const res = await crossSite(victim.post('/api/login')).type('form').send({ username: 'mallory', password: 'attacker-password' });
      expect({ status: res.status, error: res.body.error }).toEqual({ status: 403, error: 'cross_site_request' });
      expect(await cartCount(victim)).toBe('1');
      const mallory = await request(app).post('/api/login').send({ username: 'mallory', password: 'attacker-password' }).expect(200);
      expect(mallory.body.cart).toEqual([]);
    });
  });

  describe("the shop's own forms work", () => {
    const FORMS: Array<[string, Record<string, string>]> = [
      ['/cart/add', { sku: 'kettle' }],
      ['/cart/update', { sku: 'kettle', quantity: '2' }],
      ['/prefs', { currency: 'USD' }],
      ['/consent', { analytics: 'no' }],
      ['/signup', { username: 'newcomer', password: 'long enough' }],
      ['/logout', {}],
      ['/login', { username: 'mallory', password: 'attacker-password' }],
    ];

    it('from a browser that sends Origin or Sec-Fetch-Site, on every form route', async () => {
      const browser = browserOn(app);
      for (const [path, fields] of FORMS) {
        const res = await fromShop(browser.post(path)).set('Sec-Fetch-Site', 'same-origin').type('form').send(fields);
        expect({ path, status: res.status }).toEqual({ path, status: 303 });
      }
    });

    it('from an old browser that sends neither header, with the token its page carried', async () => {
      const browser = browserOn(app);
      const token = await pageToken(browser);
      await browser.post('/cart/add').set('Host', SHOP_HOST).type('form').send({ sku: 'kettle', _csrf: token }).expect(303);
      expect(await cartCount(browser)).toBe('1');
      await browser.post('/login').set('Host', SHOP_HOST).type('form').send({ username: 'mallory', password: 'attacker-password', _csrf: token }).expect(303);
      expect(await whoIs(browser)).toMatch(/Signed in as <strong>mallory<\/strong>/);
    });

    it('every form on every page carries the token of the browser’s session', async () => {
      const browser = browserOn(app);
      await fromShop(browser.post('/cart/add')).type('form').send({ sku: 'kettle' }).expect(303);
      const token = await pageToken(browser);
      for (const path of ['/', '/cart', '/login', '/signup']) {
        const html = (await browser.get(path).set('Host', SHOP_HOST)).text;
        const forms = html.match(/<form[^>]*method="post"[\s\S]*?<\/form>/g) ?? [];
        expect(forms.length).toBeGreaterThan(0);
        for (const form of forms) expect({ path, form }).toEqual({ path, form: expect.stringContaining(`name="_csrf" value="${token}"`) });
      }
    });
  });

  describe('API clients are not affected', () => {
    it('a mobile client logs in with JSON and no browser headers', async () => {
      const { session_token } = await mobileTokens(app);
      const res = await request(app).post('/api/login').send({ username: 'mallory', password: 'attacker-password', anonymous_session_token: session_token });
      expect({ status: res.status, transfer: res.body.transfer }).toEqual({ status: 200, transfer: 'merged' });
    });

    it('a bearer call changes the cart whatever its origin headers say', async () => {
      const { access_token } = await mobileTokens(app);
      const res = await request(app).put('/api/cart').set('Authorization', `Bearer ${access_token}`).set('Origin', SIBLING).send({ cart: [{ sku: 'kettle', quantity: 1 }] });
      expect(res.status).toBe(200);
    });
  });
});
