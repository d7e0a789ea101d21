import request from 'supertest';
import type { Express } from 'express';
import { SignJWT } from 'jose';
import { MemoryStore, RedisStore, anonymousSessions, type AnonymousSessions, type AnonymousStore } from '../../lib';
import { connectRedis, connectThroughProxy, uniquePrefix } from '../support/redis';
import { eventually } from '../support/eventually';
import { AUDIENCE, ISSUER, buildApp, frozenClock } from '../support/app';
import { SESSION_SECRET, TEST_KEYS } from '../support/keys';
import { internals } from '../support/internals';
import { decode, shouldBeOAuthError, shouldBeTokenResponse } from '../support/oauth';
import { memoryUsers, transferApp, type ShopUser } from '../support/transfer-app';

/**
 * Session tokens are the refresh tokens of public clients (SPAs, mobile apps): each renewal answers the next one,
 * and a replaced token used again revokes the session (RFC 9700 section 4.14.2), after a short grace for a retry.
 */
const mountRouter = (app: Express, anon: AnonymousSessions) => app.use(anon.router());
const token = (app: Express) => request(app).post('/anonymous/token');
const sessionIdOf = (t: string) => decode(t).claims.session_id as string;

function rotatingApp(options: Parameters<typeof buildApp>[0] = {}) {
  const clock = frozenClock(Date.now());
  const { app, anon } = buildApp({ rateLimit: false, clock: clock.now, ...options }, undefined, mountRouter);
  return { app, anon, clock };
}

const renew = (app: Express, sessionToken: string) => token(app).send({ session_token: sessionToken });

describe('session tokens rotate on renewal', () => {
  it('each renewal answers a new session token, and the new one renews in turn (the guest and its cart stay)', async () => {
    const { app } = rotatingApp();
    const created = await token(app).send({ metadata: { cart: ['tea'] } }).expect(200);
    let current = created.body.session_token as string;
    const guest = decode(created.body.access_token).claims.sub;
    for (let i = 1; i <= 3; i++) {
      const res = await renew(app, current);
      shouldBeTokenResponse(res);
      expect(res.body.session_token).not.toBe(current);
      expect(decode(res.body.session_token).claims).toMatchObject({ gen: i, user_id: guest, metadata: { cart: ['tea'] } });
      expect(decode(res.body.access_token).claims.sub).toBe(guest);
      current = res.body.session_token;
    }
  });

  it('a replaced token used again after the grace revokes the session: the thief and the owner both start over', async () => {
    const { app, anon, clock } = rotatingApp();
    const stolen = (await token(app).send({}).expect(200)).body.session_token as string;
    const owners = (await renew(app, stolen).expect(200)).body.session_token as string; // the owner renews first
    clock.advance(31);
    const reuse = await renew(app, stolen);
    shouldBeOAuthError(reuse, 400, 'invalid_grant');
    expect(reuse.body).toMatchObject({ anonymous_session_state: 'revoked', error_description: expect.stringMatching(/replaced and then used again/) });
    expect((await internals(anon).store.get(sessionIdOf(stolen)))?.state).toBe('revoked');
    // the newest token dies with the session
    shouldBeOAuthError(await renew(app, owners), 400, 'invalid_grant');
  });

  it('the thief who renews first is cut off too, when the owner comes back with the token it still holds', async () => {
    const { app, clock } = rotatingApp();
    const shared = (await token(app).send({}).expect(200)).body.session_token as string;
    const thiefs = (await renew(app, shared).expect(200)).body.session_token as string;
    clock.advance(60);
    shouldBeOAuthError(await renew(app, shared), 400, 'invalid_grant'); // the owner: reuse detected
    shouldBeOAuthError(await renew(app, thiefs), 400, 'invalid_grant'); // the thief's newer token is dead
  });

  it('within the grace, the token just replaced still renews (a retry after a lost response), answering the same generation', async () => {
    const { app, clock } = rotatingApp();
    const first = (await token(app).send({}).expect(200)).body.session_token as string;
    const lost = (await renew(app, first).expect(200)).body.session_token as string; // the answer never arrived
    clock.advance(5);
    const retry = await renew(app, first).expect(200);
    expect(decode(retry.body.session_token).claims.gen).toBe(decode(lost).claims.gen);
    // the retry's token is current: it renews, and from then on both copies of generation 1 are replaced
    const next = (await renew(app, retry.body.session_token).expect(200)).body.session_token as string;
    expect(decode(next).claims.gen).toBe(2);
    clock.advance(31);
    shouldBeOAuthError(await renew(app, lost), 400, 'invalid_grant');
  });

  it('two renewals at once with the current token both succeed, with one generation between them', async () => {
    const { app } = rotatingApp();
    const t = (await token(app).send({}).expect(200)).body.session_token as string;
    const [a, b] = await Promise.all([renew(app, t), renew(app, t)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(decode(a.body.session_token).claims.gen).toBe(1);
    expect(decode(b.body.session_token).claims.gen).toBe(1);
  });

  it('two tokens back is never within the grace', async () => {
    const { app } = rotatingApp();
    const g0 = (await token(app).send({}).expect(200)).body.session_token as string;
    const g1 = (await renew(app, g0).expect(200)).body.session_token as string;
    await renew(app, g1).expect(200);
    shouldBeOAuthError(await renew(app, g0), 400, 'invalid_grant'); // no time passed, but g0 is two generations old
  });

  it('the refresh_token grant rotates the same way: refresh_token is the new session token', async () => {
    const { app, clock } = rotatingApp();
    const first = (await token(app).send({}).expect(200)).body.session_token as string;
    const res = await token(app).type('form').send({ grant_type: 'refresh_token', refresh_token: first }).expect(200);
    expect(res.body.refresh_token).toBe(res.body.session_token);
    expect(decode(res.body.refresh_token).claims.gen).toBe(1);
    clock.advance(31);
    shouldBeOAuthError(await token(app).type('form').send({ grant_type: 'refresh_token', refresh_token: first }), 400, 'invalid_grant');
  });

  it('a transfer ticket request checks the token without replacing it (its answer carries no new session token)', async () => {
    const { app, clock } = rotatingApp();
    const t = (await token(app).send({}).expect(200)).body.session_token as string;
    const ticket = await token(app).send({ session_token: t, requested_token_type: 'transfer_ticket' }).expect(200);
    expect(ticket.body.transfer_ticket).toEqual(expect.any(String));
    clock.advance(60);
    await renew(app, t).expect(200); // still the current token
    clock.advance(60);
    shouldBeOAuthError(await token(app).send({ session_token: t, requested_token_type: 'transfer_ticket' }), 400, 'invalid_grant');
  });

  it('a malformed request changes nothing: an unknown requested_token_type neither rotates nor revokes', async () => {
    const { app, anon, clock } = rotatingApp();
    const t0 = (await token(app).send({}).expect(200)).body.session_token as string;
    await renew(app, t0).expect(200);
    clock.advance(60);
    shouldBeOAuthError(await token(app).send({ session_token: t0, requested_token_type: 'access_token' }), 400, 'invalid_request');
    expect((await internals(anon).store.get(sessionIdOf(t0)))?.state).toBe('active');
  });

  it('a session token minted before rotation existed (no gen claim) renews as generation 0', async () => {
    const { app, anon } = rotatingApp();
    const t = (await token(app).send({}).expect(200)).body.session_token as string;
    const { header, claims } = decode(t);
    delete claims.gen;
    const legacy = await new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(Buffer.from(SESSION_SECRET, 'base64url'));
    expect(decode(legacy).claims.gen).toBeUndefined();
    expect(decode((await renew(app, legacy).expect(200)).body.session_token).claims.gen).toBe(1);
    expect((await anon.getSession(sessionIdOf(t)))?.state).toBe('active');
  });

  it('with sessionTokenRotation: false, a session token renews again and again, as before', async () => {
    const { app, clock } = rotatingApp({ sessionTokenRotation: false });
    const t = (await token(app).send({}).expect(200)).body.session_token as string;
    for (let i = 0; i < 3; i++) {
      const res = await renew(app, t).expect(200);
      expect(decode(res.body.session_token).claims.gen).toBe(0);
      clock.advance(3600);
    }
  });

  it('an empty session_token is refused, never read as "create" (a client that lost its token does not become a new guest)', async () => {
    const { app, anon } = rotatingApp();
    const before = (internals(anon).store as MemoryStore).size;
    shouldBeOAuthError(await token(app).send({ session_token: '' }), 400, 'invalid_request');
    shouldBeOAuthError(await token(app).type('form').send('session_token='), 400, 'invalid_request');
    expect((internals(anon).store as MemoryStore).size).toBe(before);
  });

  it('an Idempotency-Key replay stops answering once its guest was renewed (it would be a second, unrotated credential)', async () => {
    const { app } = rotatingApp();
    const key = 'b3f1c0e2-5a7d-4c19-9e8f-2d6a4b7c1e90';
    const first = (await token(app).set('Idempotency-Key', key).send({}).expect(200)).body.session_token as string;
    // a retry after a lost response still gets the guest
    expect(sessionIdOf((await token(app).set('Idempotency-Key', key).send({}).expect(200)).body.session_token)).toBe(sessionIdOf(first));
    await renew(app, first).expect(200);
    const replay = await token(app).set('Idempotency-Key', key).send({});
    shouldBeOAuthError(replay, 400, 'invalid_request');
    expect(replay.body.error_description).toMatch(/renewed since/);
  });

  it('the grace is configurable, down to none', async () => {
    const { app } = rotatingApp({ sessionTokenRotation: { reuseGrace: 0 } });
    const t = (await token(app).send({}).expect(200)).body.session_token as string;
    await renew(app, t).expect(200);
    shouldBeOAuthError(await renew(app, t), 400, 'invalid_grant');
  });
});

describe('session token rotation across processes', () => {
  /**
   * Process A, and process B reading through a cache whose invalidations arrive a second late: B holds generation 0
   * of a guest (`t0`) while A moves it on. `stateInRedis` reads the record from Redis itself.
   */
  async function withLaggingProcess(label: string, run: (p: { a: Express; b: Express; t0: string; stateInRedis: (t: string) => Promise<string | undefined> }) => Promise<void>): Promise<void> {
    const [clientA, { proxy, client: clientB, close }] = await Promise.all([connectRedis(), connectThroughProxy()]);
    const prefix = uniquePrefix(label);
    const storeB = new RedisStore({ client: clientB, prefix, cache: true });
    try {
      const a = buildApp({ rateLimit: false, store: new RedisStore({ client: clientA, prefix }) }, undefined, mountRouter);
      const b = buildApp({ rateLimit: false, store: storeB }, undefined, mountRouter);
      expect(await eventually(async () => storeB.cacheStats().tracking, Boolean, 5000, 10)).toBe(true);
      const t0 = (await token(a.app).send({}).expect(200)).body.session_token as string;
      await token(b.app).send({ session_token: t0, requested_token_type: 'transfer_ticket' }).expect(200); // B caches generation 0
      proxy.pushDelayMs = 1000;
      const inRedis = new RedisStore({ client: clientA, prefix, cache: false });
      await run({ a: a.app, b: b.app, t0, stateInRedis: async (t) => (await inRedis.get(sessionIdOf(t)))?.state });
      a.anon.close();
      b.anon.close();
    } finally {
      await storeB.close();
      await Promise.all([clientA.close(), close()]);
    }
  }

  it('a process whose read cache still holds the old generation neither refuses nor revokes the current token', async () => {
    // The current token must still work on B, for a ticket and for a renewal.
    await withLaggingProcess('rotation', async ({ a, b, t0, stateInRedis }) => {
      const t1 = (await renew(a, t0).expect(200)).body.session_token as string;
      await token(b).send({ session_token: t1, requested_token_type: 'transfer_ticket' }).expect(200);
      const t2 = (await renew(b, t1).expect(200)).body.session_token as string;
      expect(decode(t2).claims.gen).toBe(2);
      expect(await stateInRedis(t0)).toBe('active');
    });
  });

  it('a process whose read cache still holds the old generation refuses a token two generations back, and revokes', async () => {
    await withLaggingProcess('rotation-stale', async ({ a, b, t0, stateInRedis }) => {
      const t1 = (await renew(a, t0).expect(200)).body.session_token as string;
      await renew(a, t1).expect(200); // generation 2: t0 is two generations back
      shouldBeOAuthError(await token(b).send({ session_token: t0, requested_token_type: 'transfer_ticket' }), 400, 'invalid_grant');
      expect(await stateInRedis(t0)).toBe('revoked');
    });
  });
});

describe('session token rotation at login', () => {
  const alice = (): ShopUser => ({ id: 'alice', name: 'Alice', data: {} });
  const login = (app: Express, t: string) => request(app).post('/login').send({ username: 'alice', anonymous_session_token: t });

  it('a replaced token sent with a login revokes its guest instead of moving it into the account', async () => {
    const clock = frozenClock(Date.now());
    const users = memoryUsers([alice()]);
    const { app, anon } = transferApp({ users, anon: { clock: clock.now } });
    const first = (await token(app).send({ metadata: { cart: [{ sku: 'pen', quantity: 1 }] } }).expect(200)).body.session_token as string;
    await renew(app, first).expect(200);
    clock.advance(31);
    const res = await login(app, first).expect(200);
    expect(res.body.transfer).toEqual({ status: 'no_session' });
    expect((await internals(anon).store.get(sessionIdOf(first)))?.state).toBe('revoked');
    expect((await users.get('alice'))!.data).toEqual({});
  });

  it('the current token moves the guest as before', async () => {
    const users = memoryUsers([alice()]);
    const { app } = transferApp({ users });
    const first = (await token(app).send({ metadata: { cart: [{ sku: 'pen', quantity: 1 }] } }).expect(200)).body.session_token as string;
    const current = (await renew(app, first).expect(200)).body.session_token as string;
    const res = await login(app, current).expect(200);
    expect(res.body.transfer).toMatchObject({ status: 'merged' });
    expect((await users.get('alice'))!.data).toMatchObject({ cart: [{ sku: 'pen', quantity: 1 }] });
  });
});

describe('session token rotation: configuration', () => {
  const base = { issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS };

  it('refuses shapes it cannot use, naming the option', () => {
    expect(() => anonymousSessions({ ...base, sessionTokenRotation: true as never })).toThrow('sessionTokenRotation: must be false or { reuseGrace }, got true (it is on by default: leave it out)');
    expect(() => anonymousSessions({ ...base, sessionTokenRotation: { reuseGrace: 301 } })).toThrow(/sessionTokenRotation\.reuseGrace/);
    expect(() => anonymousSessions({ ...base, sessionTokenRotation: { grace: 5 } as never })).toThrow(/sessionTokenRotation\.grace: is not an option/);
  });

  it('refuses a store that cannot rotate, naming the method and the way out', () => {
    const store = new MemoryStore();
    const older = new Proxy(store, { get: (t, p) => (p === 'rotateTokenGeneration' ? undefined : Reflect.get(t, p, t)) }) as AnonymousStore;
    expect(() => anonymousSessions({ ...base, store: older })).toThrow('store: must implement rotateTokenGeneration (AnonymousStore: session tokens rotate on renewal), or set sessionTokenRotation: false');
    expect(() => anonymousSessions({ ...base, store: older, sessionTokenRotation: false })).not.toThrow();
    store.close();
  });
});
