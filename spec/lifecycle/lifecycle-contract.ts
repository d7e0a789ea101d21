import request from 'supertest';
import type { Express } from 'express';
import type { AnonymousSessions, AnonymousStore, GuestExpiredEvent, LifecycleEventMap } from '../../lib';
import { buildApp } from '../support/app';
import { internals } from '../support/internals';
import { ticketId } from '../../lib/transfer/source';

/** A clock tests move by hand, starting at the real time (so Redis TTLs, which are absolute, stay in the future). */
export function movableClock(): { now: () => number; advance: (seconds: number) => void } {
  let t = Date.now();
  return { now: () => t, advance: (seconds) => (t += seconds * 1000) };
}

export interface LifecycleEnv {
  /** A fresh, empty store; `clock` is the one the store was given (MemoryStore) or that the app uses. */
  store: AnonymousStore;
  clock: { now: () => number; advance: (seconds: number) => void };
}

const IDLE = 3600;
/** Past an idle expiry and the expiry index's 10-minute slot. */
const PAST_EXPIRY = IDLE + 11 * 60;

/** Data rights and lifecycle, through `anon.admin` and `anon.on`, run against each store. */
export function describeLifecycle(name: string, makeEnv: () => Promise<LifecycleEnv>): void {
  describe(`${name}: data rights and lifecycle`, () => {
    let env: LifecycleEnv;
    let anon: AnonymousSessions;
    let app: Express;
    let logged: string[];
    const logger = { warn: (m: string) => void logged.push(m), error: (m: string) => void logged.push(m) };
    const instance = () =>
      buildApp(
        { store: env.store, clock: env.clock.now, logger, rateLimit: false, lifecycle: { reaper: false }, lifetimes: { idle: IDLE, absolute: 86_400, touchInterval: 60 } },
        undefined,
        (a, i) => a.use(i.router()),
      );

    beforeEach(async () => {
      logged = [];
      env = await makeEnv();
      ({ app, anon } = instance());
    });
    afterEach(() => anon.close());

    /** Transfers a session the way TransferService does: claim, complete, link. */
    async function transfer(sessionId: string, userId: string): Promise<void> {
      const store = internals(anon).store;
      const now = env.clock.now();
      const claim = await store.claim(sessionId, { token: `t-${sessionId}`, userId, leaseUntil: now + 30_000, now });
      expect(claim.status).toBe('claimed');
      expect(await store.completeClaim(sessionId, `t-${sessionId}`, now)).toBe(true);
      const record = (await store.get(sessionId))!;
      await store.saveTransferLink({ anonymousUserId: record.userId, sessionId, userId, at: now }, now + 86_400_000);
    }

    function collect<E extends keyof LifecycleEventMap>(event: E): Array<LifecycleEventMap[E]> {
      const seen: Array<LifecycleEventMap[E]> = [];
      anon.on(event, (e) => void seen.push(e));
      return seen;
    }

    it('finds every session of an anonymous user by its id: state, timestamps, metadata, transfer link', async () => {
      const a = await anon.createSession({ userId: 'anon|shared', metadata: { cart: ['tea'] } });
      const b = await anon.createSession({ userId: 'anon|shared' });
      await anon.createSession({ userId: 'anon|someone-else' });
      await anon.revokeSession(b.sessionId);
      const found = await anon.admin.find('anon|shared');
      expect(found).toEqual({
        anonymousUserId: 'anon|shared',
        sessions: expect.arrayContaining([
          { ...a, state: 'active' },
          { ...b, state: 'revoked', revokedAt: env.clock.now() },
        ]),
        transferLink: undefined,
      });
      expect(found!.sessions).toHaveLength(2);
      expect(await anon.admin.find('anon|nobody')).toBeUndefined();
    });

    it('exports everything stored about a guest as plain JSON', async () => {
      const a = await anon.createSession({ metadata: { cart: ['tea'], consent: { ads: false } } });
      const b = await anon.createSession({ userId: a.userId });
      await transfer(b.sessionId, 'user-7');
      const exported = await anon.admin.export(a.userId);
      expect(JSON.parse(JSON.stringify(exported))).toEqual(exported);
      expect(exported).toEqual({
        anonymousUserId: a.userId,
        exportedAt: env.clock.now(),
        sessions: expect.arrayContaining([
          expect.objectContaining({ sessionId: a.sessionId, state: 'active', metadata: { cart: ['tea'], consent: { ads: false } } }),
          expect.objectContaining({ sessionId: b.sessionId, state: 'transferred', transferredTo: 'user-7', metadata: {} }),
        ]),
        transferLink: { anonymousUserId: a.userId, sessionId: b.sessionId, userId: 'user-7', at: env.clock.now() },
      });
    });

    it('erases sessions, tickets, idempotency entries and the transfer link at once; its credentials stop working', async () => {
      const key = 'erase-me-0123456789-abcdef';
      const created = await request(app).post('/anonymous/token').set('Idempotency-Key', key).send({ metadata: { cart: ['kettle'] } }).expect(200);
      const sessionToken = created.body.session_token as string;
      const ticket = (await request(app).post('/anonymous/token').send({ session_token: sessionToken, requested_token_type: 'transfer_ticket' }).expect(200)).body.transfer_ticket as string;
      const [guest] = (await anon.admin.list()).guests;
      const second = await anon.createSession({ userId: guest.anonymousUserId });
      await transfer(second.sessionId, 'user-9');

      const erased = await anon.admin.erase(guest.anonymousUserId);
      expect(erased).toEqual({
        anonymousUserId: guest.anonymousUserId,
        sessionIds: expect.arrayContaining([guest.sessions[0].sessionId, second.sessionId]),
        tickets: 1,
        idempotencyKeys: 1,
        transferLink: expect.objectContaining({ userId: 'user-9' }),
      });
      expect(erased.sessionIds).toHaveLength(2);
      expect(await anon.admin.find(guest.anonymousUserId)).toBeUndefined();
      expect(await anon.findTransfer(guest.anonymousUserId)).toBeUndefined();
      expect(await internals(anon).store.peekTicket(ticketId(ticket), env.clock.now())).toBeUndefined();
      expect(await internals(anon).verifier.isActive!({ sid: guest.sessions[0].sessionId, sub: guest.anonymousUserId } as never)).toBe(false);
      const renewed = await request(app).post('/anonymous/token').send({ session_token: sessionToken });
      expect(renewed.status).toBe(400);
      // The same Idempotency-Key no longer leads to the erased guest: a retry makes a new one.
      const again = await request(app).post('/anonymous/token').set('Idempotency-Key', key).send({}).expect(200);
      expect(again.body.session_token).not.toBe(sessionToken);
      expect((await anon.admin.count()).guests).toBe(1);
    });

    it('erases the transfer links into a real user who leaves, and only those', async () => {
      const [a, b, c] = await Promise.all([anon.createSession(), anon.createSession(), anon.createSession()]);
      await transfer(a.sessionId, 'leaving-user');
      await transfer(b.sessionId, 'leaving-user');
      await transfer(c.sessionId, 'staying-user');
      expect((await anon.admin.eraseLinksOf('leaving-user')).sort()).toEqual([a.userId, b.userId].sort());
      expect(await anon.findTransfer(a.userId)).toBeUndefined();
      expect(await anon.findTransfer(b.userId)).toBeUndefined();
      expect(await anon.findTransfer(c.userId)).toMatchObject({ userId: 'staying-user' });
      expect(await anon.admin.eraseLinksOf('leaving-user')).toEqual([]);
    });

    it('keeps no metadata of a revoked or transferred guest (only what the transfer link needs)', async () => {
      const a = await anon.createSession({ metadata: { cart: ['tea'] } });
      const b = await anon.createSession({ metadata: { cart: ['cup'] } });
      await anon.revokeSession(a.sessionId);
      await transfer(b.sessionId, 'user-1');
      const store = internals(anon).store;
      expect(await store.get(a.sessionId)).toMatchObject({ state: 'revoked', metadata: '{}' });
      expect(await store.get(b.sessionId)).toMatchObject({ state: 'transferred', transferredTo: 'user-1', metadata: '{}' });
      expect(await anon.findTransfer(b.userId)).toMatchObject({ userId: 'user-1', sessionId: b.sessionId });
    });

    it('pages through guests with a cursor and counts them', async () => {
      const created = await Promise.all(Array.from({ length: 25 }, (_, i) => anon.createSession({ metadata: { n: i } })));
      await anon.createSession({ userId: created[0].userId });
      await anon.revokeSession(created[1].sessionId);
      const seen = new Set<string>();
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await anon.admin.list({ cursor, limit: 10 });
        for (const g of page.guests) seen.add(g.anonymousUserId);
        cursor = page.cursor;
        pages++;
      } while (cursor !== undefined && pages < 100);
      expect([...seen].sort()).toEqual(created.map((r) => r.userId).sort());
      expect(await anon.admin.count()).toEqual({ guests: 25, sessions: 26 });
      expect(await anon.admin.countSessions()).toEqual({ sessions: 26, active: 25, revoked: 1, transferred: 0, expired: 0 });
    });

    it('emits created, revoked and transferred as they happen', async () => {
      const created = collect('created');
      const revoked = collect('revoked');
      const transferred = collect('transferred');
      const a = await anon.createSession({ metadata: { cart: ['tea'] } });
      const b = await anon.createSession();
      await anon.revokeSession(a.sessionId);
      await transfer(b.sessionId, 'user-3');
      expect(created.map((e) => e.sessionId)).toEqual([a.sessionId, b.sessionId]);
      expect(created[0]).toMatchObject({ type: 'created', anonymousUserId: a.userId, at: a.createdAt, record: a });
      expect(revoked).toEqual([{ type: 'revoked', sessionId: a.sessionId, anonymousUserId: a.userId, at: env.clock.now() }]);
      expect(transferred).toEqual([{ type: 'transferred', sessionId: b.sessionId, anonymousUserId: b.userId, userId: 'user-3', at: env.clock.now() }]);
    });

    it('delivers expired with the final record, then deletes it (and counts it first on a dry run)', async () => {
      const expired = collect('expired');
      const guests = await Promise.all([1, 2, 3].map((n) => anon.createSession({ metadata: { cart: [`item-${n}`] } })));
      await anon.revokeSession(guests[2].sessionId);
      env.clock.advance(PAST_EXPIRY);
      expect(await anon.admin.reap({ dryRun: true })).toMatchObject({ expired: 3, delivered: 0, dryRun: true });
      expect(await anon.admin.reap()).toMatchObject({ expired: 3, delivered: 3, failed: 0 });
      expect(expired.map((e) => e.sessionId).sort()).toEqual(guests.map((g) => g.sessionId).sort());
      const first = expired.find((e) => e.sessionId === guests[0].sessionId)!;
      expect(first).toEqual({ type: 'expired', sessionId: guests[0].sessionId, anonymousUserId: guests[0].userId, at: guests[0].expiresAt, attempt: 1, record: guests[0] });
      expect(expired.find((e) => e.sessionId === guests[2].sessionId)!.record).toEqual({ ...guests[2], state: 'revoked', revokedAt: expect.any(Number), metadata: {} });
      for (const g of guests) expect(await anon.admin.find(g.userId)).toBeUndefined();
      expect(await anon.admin.count()).toEqual({ guests: 0, sessions: 0 });
      expect(await anon.admin.reap()).toMatchObject({ expired: 0 });
    });

    it('waits for an async listener before deleting the record', async () => {
      const g = await anon.createSession({ metadata: { upload: 'u-1' } });
      const seenDuring: unknown[] = [];
      anon.on('expired', async (e) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        seenDuring.push((await anon.admin.find(e.anonymousUserId))?.sessions.length);
      });
      env.clock.advance(PAST_EXPIRY);
      await anon.admin.reap();
      expect(seenDuring).toEqual([1]);
      expect(await anon.admin.find(g.userId)).toBeUndefined();
    });

    it('retries a listener that throws, with backoff, instead of losing the guest', async () => {
      const g = await anon.createSession({ metadata: { cart: ['tea'] } });
      const attempts: number[] = [];
      anon.on('expired', (e: GuestExpiredEvent) => {
        attempts.push(e.attempt);
        if (e.attempt === 1) throw new Error('the database is down');
      });
      env.clock.advance(PAST_EXPIRY);
      expect(await anon.admin.reap()).toMatchObject({ expired: 1, delivered: 0, failed: 1 });
      expect((await anon.admin.find(g.userId))!.sessions).toHaveLength(1);
      expect(await anon.admin.reap()).toMatchObject({ expired: 0 }); // not before its backoff
      env.clock.advance(21 * 60);
      expect(await anon.admin.reap()).toMatchObject({ expired: 1, delivered: 1 });
      expect(attempts).toEqual([1, 2]);
      expect(logged).toEqual([expect.stringContaining("an 'expired' listener failed (attempt 1")]);
      expect(await anon.admin.find(g.userId)).toBeUndefined();
    });

    it('follows sliding expiry: a guest seen again is not reaped at its first expiry', async () => {
      const expired = collect('expired');
      const g = await anon.createSession();
      env.clock.advance(50 * 60);
      expect(await anon.getSession(g.sessionId)).toBeDefined(); // activity: the expiry moves an hour on
      env.clock.advance(30 * 60); // past the first expiry and its slot
      expect(await anon.admin.reap()).toMatchObject({ delivered: 0 });
      expect(await anon.getSession(g.sessionId)).toBeDefined();
      env.clock.advance(PAST_EXPIRY);
      expect(await anon.admin.reap()).toMatchObject({ delivered: 1 });
      expect(expired.map((e) => e.sessionId)).toEqual([g.sessionId]);
    });

    it('among several processes, hands every expired guest out, each batch to one of them', async () => {
      const other = instance().anon;
      const delivered: string[] = [];
      for (const a of [anon, other]) a.on('expired', (e) => void delivered.push(e.sessionId));
      const guests = await Promise.all(Array.from({ length: 40 }, () => anon.createSession()));
      env.clock.advance(PAST_EXPIRY);
      await Promise.all([anon.admin.reap(), other.admin.reap()]);
      expect(new Set(delivered)).toEqual(new Set(guests.map((g) => g.sessionId)));
      expect(delivered).toHaveLength(40);
      other.close();
    });
  });
}
