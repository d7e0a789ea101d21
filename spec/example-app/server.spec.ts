import request from 'supertest';
import { isRunning, npmKeygen, refusedStart, startShopProcess, type ShopProcess } from './shop-process';

const SECRET = 'a-session-secret-of-at-least-32-characters';

/** The shop started the way the README says, in its own process. */
describe('npm start on embedded defaults', () => {
  let shop: ShopProcess;
  beforeAll(async () => {
    shop = await startShopProcess({ PORT: '0' });
  }, 30_000);
  afterAll(() => shop?.stop());

  it('opens the shop for a guest', async () => {
    const page = await request(shop.url).get('/').expect(200);
    expect(page.text).toMatch(/data-testid="who">Guest <code>anon\|/);
  });

  it('warns that its session secret and keys were made at start-up', () => {
    expect(shop.output()).toMatch(/SESSION_SECRET is not set: cookies are signed with a secret made at start-up/);
    expect(shop.output()).toMatch(/ANON_KEYS is not set: signing keys were made at start-up/);
    expect(shop.output()).not.toMatch(/example-app-development-secret/);
  });

  it('names the address it listens on as the issuer when PUBLIC_URL is not set, even with PORT=0', async () => {
    const metadata = await request(shop.url).get('/.well-known/oauth-authorization-server').expect(200);
    expect(metadata.body.issuer).toBe(shop.url);
  });
});

describe('NODE_ENV=production', () => {
  it('refuses to start without SESSION_SECRET, saying how to make one', async () => {
    const { code, output } = await refusedStart({ PORT: '0', NODE_ENV: 'production', ANON_KEYS: await npmKeygen() });
    expect(code).toBe(1);
    expect(output).toMatch(/Leaf & Kettle cannot start: SESSION_SECRET is required when NODE_ENV=production/);
    expect(output).not.toMatch(/is open on/);
  }, 30_000);

  it('starts with SESSION_SECRET and the keys `npm run -s keygen` prints, without development warnings', async () => {
    const keys = JSON.parse(await npmKeygen());
    expect(keys).toEqual({ accessToken: [expect.objectContaining({ kty: 'EC', crv: 'P-256', d: expect.any(String), alg: 'ES256', kid: expect.any(String) })], sessionToken: [{ secret: expect.any(String) }], sessionTokenFormat: 'jws' });
    const shop = await startShopProcess({ PORT: '0', NODE_ENV: 'production', SESSION_SECRET: SECRET, ANON_KEYS: JSON.stringify(keys), PUBLIC_URL: 'https://shop.example' });
    try {
      const tokens = (await request(shop.url).post('/anonymous/token').send({ client_id: 'shop-mobile' }).expect(200)).body;
      await request(shop.url).get('/api/cart').set('Authorization', `Bearer ${tokens.access_token}`).expect(200);
      expect(shop.output()).not.toMatch(/SESSION_SECRET is not set|ANON_KEYS is not set|keys were generated/);
    } finally {
      expect(await shop.stop()).toBe(0);
    }
    expect(isRunning(shop.pid)).toBe(false);
  }, 30_000);
});
