import request from 'supertest';
import { fromShop, startShop } from './shop';

/** The shop's API side, as a mobile client uses it: tokens, the cart with a bearer token, then login and transfer. */
describe('example shop API (mobile client)', () => {
  it('gets tokens, keeps a cart with the bearer token, and carries it into the account at login', async () => {
    const { app, close } = await startShop();
    const tokens = (await request(app).post('/anonymous/token').send({ client_id: 'shop-mobile' }).expect(200)).body;
    expect(tokens.scope).toBe('cart');
    const auth = `Bearer ${tokens.access_token}`;

    await request(app).get('/api/cart').expect(401);
    expect((await request(app).get('/api/cart').set('Authorization', auth).expect(200)).body).toEqual({ cart: [] });
    const put = await request(app).put('/api/cart').set('Authorization', auth).send({ cart: [{ sku: 'kettle', quantity: 1 }, { sku: 'bogus', quantity: 9 }] }).expect(200);
    expect(put.body).toEqual({ cart: [{ sku: 'kettle', quantity: 1 }] });

    // An account made in the browser, with a cart of its own.
    const browser = request.agent(app);
    await fromShop(browser.post('/signup')).type('form').send({ username: 'lin', password: 'long enough' }).expect(303);
    await fromShop(browser.post('/cart/add')).type('form').send({ sku: 'kettle' }).expect(303);

    const login = await request(app).post('/api/login').send({ username: 'lin', password: 'long enough', anonymous_session_token: tokens.session_token }).expect(200);
    expect(login.body).toEqual({ username: 'lin', cart: [{ sku: 'kettle', quantity: 2 }], transfer: 'merged' });
    // The guest's session token is spent.
    expect((await request(app).post('/anonymous/token').send({ client_id: 'shop-mobile', session_token: tokens.session_token })).body.error).toBe('invalid_grant');
    await request(app).post('/api/login').send({ username: 'lin', password: 'wrong password' }).expect(401);
    await close();
  });
});
