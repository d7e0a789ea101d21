import request from 'supertest';
import { MemoryStore, type TransferEvent } from '../../lib';
import { memoryUsers, transferApp, type ShopUser } from '../support/transfer-app';
import { frozenClock } from '../support/app';
import { shouldBeOAuthError } from '../support/oauth';
import { runStrategy } from '../support/strategy';
import { internals } from '../support/internals';

const alice = (): ShopUser => ({ id: 'alice', name: 'Alice', data: { cart: [{ sku: 'tea', quantity: 1 }], consents: { email: false } } });
const cookieOf = (res: request.Response) => ((res.headers['set-cookie'] as unknown as string[] | undefined) ?? [])[0]?.split(';')[0];

async function guestWithCart(agent: ReturnType<typeof request.agent>) {
  const guest = (await agent.get('/me')).body.guest;
  await agent.post('/cart').send({ sku: 'tea', quantity: 2 });
  await agent.post('/cart').send({ sku: 'mug', quantity: 1 });
  return guest as { id: string; sessionId: string };
}

describe('transfer at login (cookie path, passport 0.7 defaults)', () => {
  it.each([true, false])('merges the guest cart by SKU into the account, whichever order the middleware is mounted (first: %s)', async (middlewareFirst) => {
    const users = memoryUsers([alice()]);
    const { app, anon } = transferApp({ users, middlewareFirst });
    const agent = request.agent(app);
    const guest = await guestWithCart(agent);

    const res = await agent.post('/login').send({ username: 'alice' }).expect(200);
    expect(res.body.transfer).toEqual({ status: 'merged', anonymousUserId: guest.id });
    expect(res.body.user.data.cart).toEqual([{ sku: 'tea', quantity: 3 }, { sku: 'mug', quantity: 1 }]);
    expect((await agent.get('/me')).body.user.data.cart).toEqual([{ sku: 'tea', quantity: 3 }, { sku: 'mug', quantity: 1 }]);
    expect((await internals(anon).store.get(guest.sessionId))?.state).toBe('transferred');
    expect(await anon.findTransfer(guest.id)).toEqual({ anonymousUserId: guest.id, sessionId: guest.sessionId, userId: 'alice', at: expect.any(Number) });
  });

  it("renews the express-session id: the guest's cookie never becomes the logged-in session", async () => {
    const { app } = transferApp({ users: memoryUsers([alice()]) });
    const first = await request(app).get('/me');
    const guestCookie = cookieOf(first);
    const login = await request(app).post('/login').set('Cookie', guestCookie).send({ username: 'alice' }).expect(200);
    const loggedIn = cookieOf(login);
    expect(loggedIn).toBeDefined();
    expect(loggedIn).not.toBe(guestCookie);
    // The old cookie is neither logged in nor the old guest.
    const replay = (await request(app).get('/me').set('Cookie', guestCookie)).body;
    expect(replay.user).toBeNull();
    expect(replay.guest.id).not.toBe(first.body.guest.id);
  });

  it('a retried login into the same user returns already_transferred without duplicating data', async () => {
    const users = memoryUsers([alice()]);
    const { app } = transferApp({ users });
    const agent = request.agent(app);
    await guestWithCart(agent);
    const token = (await agent.post('/my-session-token').send({})).body.session_token;
    await request(app).post('/login').send({ username: 'alice', anonymous_session_token: token }).expect(200);
    const retry = await request(app).post('/login').send({ username: 'alice', anonymous_session_token: token }).expect(200);
    expect(retry.body.transfer).toMatchObject({ status: 'already_transferred', userId: 'alice', sameUser: true });
    expect(users.all.get('alice')!.data.cart).toEqual([{ sku: 'tea', quantity: 3 }, { sku: 'mug', quantity: 1 }]);
  });

  it('another user gets a typed already_transferred (default: the login continues; strict routes get 409)', async () => {
    const users = memoryUsers([alice(), { id: 'bob', name: 'Bob', data: {} }]);
    const { app } = transferApp({ users });
    const agent = request.agent(app);
    await guestWithCart(agent);
    const token = (await agent.post('/my-session-token').send({})).body.session_token;
    await request(app).post('/login').send({ username: 'alice', anonymous_session_token: token }).expect(200);
    const bob = await request(app).post('/login').send({ username: 'bob', anonymous_session_token: token }).expect(200);
    expect(bob.body.transfer).toMatchObject({ status: 'already_transferred', userId: 'alice', sameUser: false });
    expect(users.all.get('bob')!.data).toEqual({});
    const strict = await request(app).post('/login-strict').send({ username: 'bob', anonymous_session_token: token }).expect(409);
    expect(strict.body.error).toBe('transfer_conflict');
  });
});

describe('which guest transfers', () => {
  it('an API client presents its session token with the login; afterwards that token no longer works', async () => {
    const users = memoryUsers([alice()]);
    const { app } = transferApp({ users });
    const tokens = (await request(app).post('/anonymous/token').send({ metadata: { cart: [{ sku: 'cup', quantity: 4 }] } })).body;
    const res = await request(app).post('/login').set('Anonymous-Session-Token', tokens.session_token).send({ username: 'alice' }).expect(200);
    expect(res.body.transfer.status).toBe('merged');
    expect(users.all.get('alice')!.data.cart).toEqual([{ sku: 'tea', quantity: 1 }, { sku: 'cup', quantity: 4 }]);
    shouldBeOAuthError(await request(app).post('/anonymous/token').send({ session_token: tokens.session_token }), 400, 'invalid_grant');
  });

  it('a single-use ticket of at most 30 s carries the guest through a redirect', async () => {
    const clock = frozenClock(Date.now());
    const users = memoryUsers([alice(), { id: 'bob', name: 'Bob', data: {} }]);
    const { app } = transferApp({ users, anon: { clock: clock.now } });
    const tokens = (await request(app).post('/anonymous/token').send({ metadata: { cart: [{ sku: 'pen', quantity: 1 }] } })).body;
    const minted = await request(app).post('/anonymous/token').send({ session_token: tokens.session_token, requested_token_type: 'transfer_ticket' }).expect(200);
    expect(minted.body).toEqual({ transfer_ticket: expect.any(String), expires_in: 30, token_type: 'N_A' });
    const ticket = minted.body.transfer_ticket;

    const login = await request(app).post(`/login?transfer_ticket=${ticket}`).send({ username: 'alice' }).expect(200);
    expect(login.body.transfer.status).toBe('merged');
    // single use
    expect((await request(app).post(`/login?transfer_ticket=${ticket}`).send({ username: 'bob' })).body.transfer).toEqual({ status: 'no_session' });

    const other = (await request(app).post('/anonymous/token').send({})).body;
    const late = (await request(app).post('/anonymous/token').send({ session_token: other.session_token, requested_token_type: 'transfer_ticket' })).body.transfer_ticket;
    clock.advance(31);
    expect((await request(app).post(`/login?transfer_ticket=${late}`).send({ username: 'bob' })).body.transfer).toEqual({ status: 'no_session' });
    shouldBeOAuthError(await request(app).post('/anonymous/token').send({ requested_token_type: 'transfer_ticket' }), 400, 'invalid_request');
  });

  it('never a raw anonymous id supplied by the client', async () => {
    const { app, anon } = transferApp({ users: memoryUsers([alice()]) });
    const victim = await anon.createSession({ metadata: { cart: [{ sku: 'x', quantity: 1 }] } });
    const res = await request(app).post('/login').send({ username: 'alice', anonymous_user_id: victim.userId, session_id: victim.sessionId, anonymous_session_token: victim.sessionId });
    expect(res.body.transfer).toEqual({ status: 'no_session' });
    expect((await internals(anon).store.get(victim.sessionId))?.state).toBe('active');
  });
});

describe('nothing lost', () => {
  it('if onTransfer throws, the login succeeds, the guest stays intact, and the next login transfers it', async () => {
    const users = memoryUsers([alice()]);
    let fail = true;
    const events: TransferEvent[] = [];
    const { app, anon } = transferApp({ users, onMerge: () => { if (fail) throw new Error('user db timeout'); } });
    anon.on('transfer:failed', (e) => events.push(e)).on('transfer', (e) => events.push(e));
    const tokens = (await request(app).post('/anonymous/token').send({ metadata: { cart: [{ sku: 'pen', quantity: 2 }] } })).body;

    const first = await request(app).post('/login').send({ username: 'alice', anonymous_session_token: tokens.session_token }).expect(200);
    expect(first.body.transfer).toEqual({ status: 'failed', error: 'Error: user db timeout' });
    const sid = JSON.parse(Buffer.from(tokens.session_token.split('.')[1], 'base64url').toString()).session_id;
    expect(await internals(anon).store.get(sid)).toMatchObject({ state: 'active', metadata: '{"cart":[{"sku":"pen","quantity":2}]}' });
    // the guest still works and can still be changed
    await anon.updateSession(sid, { note: 'still here' });

    await request(app).post('/login-strict').send({ username: 'alice', anonymous_session_token: tokens.session_token }).expect(500);
    fail = false;
    const second = await request(app).post('/login').send({ username: 'alice', anonymous_session_token: tokens.session_token }).expect(200);
    expect(second.body.transfer.status).toBe('merged');
    expect(users.all.get('alice')!.data.cart).toEqual([{ sku: 'tea', quantity: 1 }, { sku: 'pen', quantity: 2 }]);
    expect(events.map((e) => e.outcome)).toEqual(['failed', 'failed', 'merged']);
  });

  it('concurrent logins with one guest into the same user merge once', async () => {
    const users = memoryUsers([alice()]);
    const { app } = transferApp({ users, onMerge: () => new Promise((r) => setTimeout(r, 30)) });
    const tokens = (await request(app).post('/anonymous/token').send({ metadata: { cart: [{ sku: 'pen', quantity: 1 }] } })).body;
    const results = await Promise.all(
      Array.from({ length: 6 }, () => request(app).post('/login').send({ username: 'alice', anonymous_session_token: tokens.session_token })),
    );
    const statuses = results.map((r) => r.body.transfer.status).sort();
    expect(statuses.filter((s) => s === 'merged')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'already_transferred')).toHaveLength(5);
    expect(users.all.get('alice')!.data.cart).toEqual([{ sku: 'tea', quantity: 1 }, { sku: 'pen', quantity: 1 }]);
  });
});

describe('sign-up, preview and the planted-guest attack', () => {
  it('transferTo(req, user, "signup") gives the new account the guest data while it is created', async () => {
    const users = memoryUsers();
    const { app } = transferApp({ users });
    const agent = request.agent(app);
    await guestWithCart(agent);
    const res = await agent.post('/signup').send({ username: 'carol' }).expect(200);
    expect(res.body.transfer.status).toBe('merged');
    expect(users.all.get('carol')!.data.cart).toEqual([{ sku: 'tea', quantity: 2 }, { sku: 'mug', quantity: 1 }]);
    expect((await agent.get('/me')).body.user.id).toBe('carol');
  });

  it('previewTransfer shows what would merge and changes nothing', async () => {
    const store = new MemoryStore();
    const { app } = transferApp({ users: memoryUsers([alice()]), store });
    const tokens = (await request(app).post('/anonymous/token').send({ metadata: { cart: [{ sku: 'pen', quantity: 3 }] } })).body;
    const preview = await request(app).post('/preview').send({ username: 'alice', anonymous_session_token: tokens.session_token }).expect(200);
    expect(preview.body).toMatchObject({ status: 'ready', anonymous: { metadata: { cart: [{ sku: 'pen', quantity: 3 }] } } });
    const again = await request(app).post('/login').send({ username: 'alice', anonymous_session_token: tokens.session_token });
    expect(again.body.transfer.status).toBe('merged');
  });

  it("an attacker who planted their guest in the victim's browser reads nothing of the victim's account", async () => {
    const users = memoryUsers([{ id: 'victim', name: 'V', data: { cart: [{ sku: 'secret-item', quantity: 1 }] } }]);
    const { app, anon } = transferApp({ users });
    // The attacker makes a guest and keeps its credentials...
    const first = await request(app).get('/me');
    const planted = first.body.guest;
    const plantedCookie = cookieOf(first);
    expect(plantedCookie).toMatch(/^connect\.sid=/);
    const stolen = (await request(app).post('/my-session-token').set('Cookie', plantedCookie).send({})).body;
    expect(JSON.parse(Buffer.from(stolen.access_token.split('.')[1], 'base64url').toString()).sub).toBe(planted.id);
    // ...and plants the cookie in the victim's browser; the victim logs in.
    const victimLogin = await request(app).post('/login').set('Cookie', plantedCookie).send({ username: 'victim' }).expect(200);
    expect(victimLogin.body.transfer).toEqual({ status: 'merged', anonymousUserId: planted.id });
    expect(cookieOf(victimLogin)).not.toBe(plantedCookie);

    // The attacker's copies: the cookie is a fresh guest, the session token is refused, the access token names only the guest.
    const replay = (await request(app).get('/me').set('Cookie', plantedCookie)).body;
    expect(replay.user).toBeNull();
    expect(replay.guest.id).not.toBe(planted.id);
    expect(JSON.stringify(replay)).not.toContain('secret-item');
    shouldBeOAuthError(await request(app).post('/anonymous/token').send({ session_token: stolen.session_token }), 400, 'invalid_grant');
    const strict = anon.strategy({ checkRevocation: true });
    expect(await runStrategy(strict, { headers: { authorization: `Bearer ${stolen.access_token}` } })).toMatchObject({ kind: 'fail', status: 401 });
    const lax = await runStrategy(anon.strategy(), { headers: { authorization: `Bearer ${stolen.access_token}` } });
    expect(lax).toMatchObject({ kind: 'success', user: { id: planted.id, anonymous: true } }); // the guest, never the victim
  });
});
