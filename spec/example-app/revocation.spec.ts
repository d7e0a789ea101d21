import request from 'supertest';
import type { Shop } from '../../example-app/app';
import { mobileTokens, signUp, startShop } from './shop';

/** The API checks that the guest is still active: a token outlives its guest only until it is next used. */
describe('example shop API: access tokens stop working when their guest ends', () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await startShop();
    await signUp(shop.app, 'lin', 'long enough');
  });
  afterAll(() => shop.close());

  const readCart = (token: string) => request(shop.app).get('/api/cart').set('Authorization', `Bearer ${token}`);
  const writeCart = (token: string) => request(shop.app).put('/api/cart').set('Authorization', `Bearer ${token}`).send({ cart: [{ sku: 'kettle', quantity: 1 }] });

  function shouldBeRefusedToken(res: request.Response): void {
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: 'invalid_token' });
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  }

  it('after the guest logs out', async () => {
    const tokens = await mobileTokens(shop.app);
    await writeCart(tokens.access_token).expect(200);
    await request(shop.app).post('/anonymous/logout').send({ session_token: tokens.session_token }).expect(204);
    shouldBeRefusedToken(await readCart(tokens.access_token));
    shouldBeRefusedToken(await writeCart(tokens.access_token));
  });

  it('after the guest logs in and its cart moves into the account', async () => {
    const tokens = await mobileTokens(shop.app);
    await writeCart(tokens.access_token).expect(200);
    const login = await request(shop.app).post('/api/login').send({ username: 'lin', password: 'long enough', anonymous_session_token: tokens.session_token }).expect(200);
    expect(login.body.transfer).toBe('merged');
    shouldBeRefusedToken(await readCart(tokens.access_token));
  });

  it("while another guest's token keeps working", async () => {
    const other = await mobileTokens(shop.app);
    await writeCart(other.access_token).expect(200);
    expect((await readCart(other.access_token).expect(200)).body).toEqual({ cart: [{ sku: 'kettle', quantity: 1 }] });
  });
});
