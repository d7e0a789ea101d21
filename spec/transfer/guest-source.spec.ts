import request from 'supertest';
import type { Express } from 'express';
import { memoryUsers, transferApp, type ShopUser } from '../support/transfer-app';
import { internals } from '../support/internals';
import { ticketId } from '../../lib/transfer/source';

const alice = (): ShopUser => ({ id: 'alice', name: 'Alice', data: { cart: [{ sku: 'tea', quantity: 1 }] } });
const cookieOf = (res: request.Response) => ((res.headers['set-cookie'] as unknown as string[] | undefined) ?? [])[0]?.split(';')[0];
const sessionIdOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).session_id;

async function apiGuest(app: Express, cart: unknown[]): Promise<string> {
  return (await request(app).post('/anonymous/token').send({ metadata: { cart } }).expect(200)).body.session_token as string;
}
async function ticketFor(app: Express, sessionToken: string): Promise<string> {
  return (await request(app).post('/anonymous/token').send({ session_token: sessionToken, requested_token_type: 'transfer_ticket' }).expect(200)).body.transfer_ticket as string;
}

describe('previewTransfer names the guest the transfer would take (issue #13, item 3)', () => {
  it('with a ticket in the request it previews the ticket\'s guest, not the cookie\'s, and leaves the ticket for the login', async () => {
    const users = memoryUsers([alice()]);
    const { app } = transferApp({ users });
    const browser = request.agent(app);
    await browser.get('/me'); // the browser's own guest: an empty cart
    const ticket = await ticketFor(app, await apiGuest(app, [{ sku: 'pen', quantity: 3 }]));

    const preview = await browser.post(`/preview?transfer_ticket=${ticket}`).send({ username: 'alice' }).expect(200);
    expect(preview.body).toMatchObject({ status: 'ready', source: 'ticket', anonymous: { metadata: { cart: [{ sku: 'pen', quantity: 3 }] } }, transferId: expect.any(String) });
    const again = await browser.post(`/preview?transfer_ticket=${ticket}`).send({ username: 'alice' }).expect(200);
    expect(again.body.anonymous.sessionId).toBe(preview.body.anonymous.sessionId); // not spent

    const login = await browser.post(`/login?transfer_ticket=${ticket}`).send({ username: 'alice' }).expect(200);
    expect(login.body.transfer).toEqual({ status: 'merged', anonymousUserId: preview.body.anonymous.userId });
    expect(users.all.get('alice')!.data.cart).toEqual([{ sku: 'tea', quantity: 1 }, { sku: 'pen', quantity: 3 }]);
  });

  it("mode 'ask': the login keeps the guest; a later request previews it; yes merges it, once", async () => {
    const users = memoryUsers([alice()]);
    const { app, anon } = transferApp({ users });
    const browser = request.agent(app);
    const first = await browser.get('/me');
    const guest = first.body.guest as { id: string; sessionId: string };
    await browser.post('/cart').send({ sku: 'mug', quantity: 2 });

    const login = await browser.post('/login-ask').send({ username: 'alice' }).expect(200);
    expect(login.body.transfer).toEqual({ status: 'deferred', anonymousUserId: guest.id, metadata: { cart: [{ sku: 'mug', quantity: 2 }] } });
    expect(cookieOf(login)).not.toBe(cookieOf(first)); // no fixation: the login session has a new id
    expect(users.all.get('alice')!.data.cart).toEqual([{ sku: 'tea', quantity: 1 }]); // nothing merged yet
    expect((await internals(anon).store.get(guest.sessionId))?.state).toBe('active');

    // "Add your 2 guest items?" on a later page, however long the user takes: the login session keeps the guest.
    const asked = await browser.get('/guest-items').expect(200);
    expect(asked.body).toMatchObject({ status: 'ready', source: 'pending', anonymous: { userId: guest.id, metadata: { cart: [{ sku: 'mug', quantity: 2 }] } } });
    const yes = await browser.post('/guest-items').send({ answer: 'yes' }).expect(200);
    expect(yes.body.transfer).toEqual({ status: 'merged', anonymousUserId: guest.id });
    expect(users.all.get('alice')!.data.cart).toEqual([{ sku: 'tea', quantity: 1 }, { sku: 'mug', quantity: 2 }]);
    expect((await browser.get('/me')).body.user.data.cart).toEqual([{ sku: 'tea', quantity: 1 }, { sku: 'mug', quantity: 2 }]);
    // The kept guest is forgotten once merged: asking again shows none of it, and a repeated yes does not merge it
    // again (this test app gives signed-in browsers a fresh, empty guest: that is what a second yes finds).
    expect((await browser.get('/guest-items')).body.anonymous?.userId).not.toBe(guest.id);
    expect((await browser.post('/guest-items').send({ answer: 'yes' })).body.transfer.anonymousUserId).not.toBe(guest.id);
    expect(users.all.get('alice')!.data.cart).toEqual([{ sku: 'tea', quantity: 1 }, { sku: 'mug', quantity: 2 }]);
  });

  it("mode 'ask': no forgets the kept guest and leaves it as it was; a ticket is spent at the login and the guest kept", async () => {
    const users = memoryUsers([alice(), { id: 'bob', name: 'Bob', data: {} }]);
    const { app, anon } = transferApp({ users });
    const token = await apiGuest(app, [{ sku: 'pen', quantity: 1 }]);
    const ticket = await ticketFor(app, token);
    const browser = request.agent(app);
    expect((await browser.post(`/login-ask?transfer_ticket=${ticket}`).send({ username: 'alice' })).body.transfer.status).toBe('deferred');
    expect(await internals(anon).store.peekTicket(ticketId(ticket), Date.now())).toBeUndefined();
    expect((await browser.get('/guest-items')).body).toMatchObject({ status: 'ready', source: 'pending' });

    // The kept guest counts only for the user it was kept for.
    const asBob = await browser.post('/preview').send({ username: 'bob' }).expect(200);
    expect(asBob.body.anonymous?.sessionId).not.toBe(sessionIdOf(token));

    expect((await browser.post('/guest-items').send({ answer: 'no' })).body).toEqual({ declined: true });
    expect((await browser.get('/guest-items')).body.anonymous?.sessionId).not.toBe(sessionIdOf(token));
    expect(await internals(anon).store.get(sessionIdOf(token))).toMatchObject({ state: 'active', metadata: '{"cart":[{"sku":"pen","quantity":1}]}' });
    expect(users.all.get('alice')!.data.cart).toEqual([{ sku: 'tea', quantity: 1 }]);
  });
});

describe('a session token is taken from the body or a header only (issue #13, item 4)', () => {
  it('one in the query string is ignored (and no other guest is taken in its place); the app is warned once', async () => {
    const users = memoryUsers([alice()]);
    const { app, anon, logs } = transferApp({ users });
    const token = await apiGuest(app, [{ sku: 'pen', quantity: 1 }]);
    const browser = request.agent(app);
    await browser.get('/me');
    await browser.post('/cart').send({ sku: 'mug', quantity: 1 }); // a cookie guest that must not stand in

    for (let i = 0; i < 2; i++) {
      const res = await browser.post(`/login?anonymous_session_token=${token}`).send({ username: 'alice' }).expect(200);
      expect(res.body.transfer).toEqual({ status: 'no_session' });
    }
    expect(await internals(anon).store.get(sessionIdOf(token))).toMatchObject({ state: 'active' });
    expect(users.all.get('alice')!.data.cart).toEqual([{ sku: 'tea', quantity: 1 }]);
    expect(logs.filter(([, m]) => m.includes('in the query string is ignored'))).toHaveLength(1);

    const inBody = await request(app).post('/login').send({ username: 'alice', anonymous_session_token: token }).expect(200);
    expect(inBody.body.transfer.status).toBe('merged');
  });
});

describe('login CSRF cannot move a victim\'s guest into the attacker\'s account', () => {
  it('a cross-site login takes no cookie guest; the same login from the site itself does', async () => {
    const users = memoryUsers([alice()]);
    const { app, anon } = transferApp({ users });
    const victim = request.agent(app);
    const guest = (await victim.get('/me')).body.guest as { sessionId: string };
    await victim.post('/cart').send({ sku: 'passport-photo', quantity: 1 });

    // The attacker's page posts the attacker's credentials with the victim's cookie.
    const forged = await victim.post('/login').set('Origin', 'https://evil.example').set('Sec-Fetch-Site', 'cross-site').send({ username: 'alice' });
    expect(forged.body.transfer).toEqual({ status: 'no_session' });
    expect((await internals(anon).store.get(guest.sessionId))?.state).toBe('active');

    const own = request.agent(app);
    await own.get('/me');
    await own.post('/cart').send({ sku: 'tea', quantity: 1 });
    const genuine = await own.post('/login').set('Sec-Fetch-Site', 'same-origin').send({ username: 'alice' });
    expect(genuine.body.transfer.status).toBe('merged');
  });
});
