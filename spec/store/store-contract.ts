import type { AnonymousStore } from '../../lib';
import { newRecord } from '../../lib/session/record';
import { eventually } from '../support/eventually';

const LIFETIMES = { idle: 3600, absolute: 86400 };

/** The behaviour every AnonymousStore must have; run against each implementation. */
export function describeStoreContract(name: string, makeStore: () => Promise<{ store: AnonymousStore; now: () => number }>): void {
  describe(`${name} (store contract)`, () => {
    let store: AnonymousStore;
    let now: () => number;
    const record = (metadata = '{}') => newRecord({ userId: 'anon|u1', metadata, now: now(), lifetimes: LIFETIMES });

    beforeEach(async () => {
      ({ store, now } = await makeStore());
    });

    it('creates a record and reads it back unchanged', async () => {
      const r = record('{"cart":[1,2.5,"x"],"empty":[]}');
      expect(await store.create(r)).toBe(true);
      expect(await store.get(r.sessionId)).toEqual(r);
    });

    it('reads back any text exactly: unicode, quotes, slashes, control characters, in the metadata and in user ids', async () => {
      const text = 'é 中文 🛒 "q" \\ / \n\t\u0001 </script> {}[]';
      const metadata = JSON.stringify({ note: text, nested: { a: [text, 1e21, -0.5, null, true] } });
      const r = newRecord({ userId: `anon|${text}`, metadata, now: now(), lifetimes: LIFETIMES });
      await store.create(r);
      expect(await store.get(r.sessionId)).toEqual(r);
      const t = now();
      expect((await store.claim(r.sessionId, { token: 't', userId: `user ${text}`, leaseUntil: t + 30_000, now: t })).status).toBe('claimed');
      await store.completeClaim(r.sessionId, 't', t);
      expect(await store.get(r.sessionId)).toMatchObject({ state: 'transferred', transferredTo: `user ${text}`, userId: `anon|${text}` });
    });

    it('refuses to create over an existing id', async () => {
      const r = record();
      await store.create(r);
      expect(await store.create({ ...r, userId: 'anon|other' })).toBe(false);
      expect((await store.get(r.sessionId))?.userId).toBe('anon|u1');
    });

    it('answers undefined for an unknown id', async () => {
      expect(await store.get('nope')).toBeUndefined();
    });

    it('touch moves lastSeenAt and expiresAt of an active session only', async () => {
      const r = record();
      await store.create(r);
      expect(await store.touch(r.sessionId, r.lastSeenAt + 1000, r.expiresAt + 1000)).toBe(true);
      expect(await store.get(r.sessionId)).toMatchObject({ lastSeenAt: r.lastSeenAt + 1000, expiresAt: r.expiresAt + 1000 });
      await store.revoke(r.sessionId, now());
      expect(await store.touch(r.sessionId, r.lastSeenAt + 2000, r.expiresAt + 2000)).toBe(false);
    });

    it('compare-and-set writes only at the expected version', async () => {
      const r = record();
      await store.create(r);
      expect(await store.compareAndSetMetadata(r.sessionId, 0, '{"a":1}', now())).toEqual({ status: 'ok', version: 1 });
      expect(await store.compareAndSetMetadata(r.sessionId, 0, '{"a":2}', now())).toEqual({ status: 'conflict' });
      expect(await store.get(r.sessionId)).toMatchObject({ metadata: '{"a":1}', version: 1 });
      expect(await store.compareAndSetMetadata('nope', 0, '{}', now())).toEqual({ status: 'missing' });
    });

    it('an update id is applied once: a retry answers duplicate and writes nothing', async () => {
      const r = record();
      await store.create(r);
      expect(await store.compareAndSetMetadata(r.sessionId, 0, '{"a":1}', now(), 'req-1')).toEqual({ status: 'ok', version: 1 });
      expect(await store.compareAndSetMetadata(r.sessionId, 1, '{"a":2}', now(), 'req-1')).toEqual({ status: 'duplicate', version: 1 });
      expect(await store.compareAndSetMetadata(r.sessionId, 1, '{"a":3}', now(), 'req-2')).toEqual({ status: 'ok', version: 2 });
      for (let i = 3; i < 20; i++) await store.compareAndSetMetadata(r.sessionId, i - 1, '{}', now(), `req-${i}`); // now at version 19
      // only the last 16 ids are kept
      expect((await store.compareAndSetMetadata(r.sessionId, 19, '{"late":1}', now(), 'req-1')).status).toBe('ok');
      expect((await store.compareAndSetMetadata(r.sessionId, 20, '{}', now(), 'req-19')).status).toBe('duplicate');
    });

    it('revoke ends an active session once and keeps the record', async () => {
      const r = record();
      await store.create(r);
      expect(await store.revoke(r.sessionId, 123)).toBe(true);
      expect(await store.revoke(r.sessionId, 456)).toBe(false);
      expect(await store.get(r.sessionId)).toMatchObject({ state: 'revoked', revokedAt: 123 });
      expect(await store.compareAndSetMetadata(r.sessionId, 0, '{}', now())).toEqual({ status: 'ended' });
    });

    it('rotates the token generation by compare-and-set: once per generation, answering where it is when stale', async () => {
      const r = record();
      await store.create(r);
      const t = now();
      expect(await store.rotateTokenGeneration!(r.sessionId, 0, t)).toEqual({ status: 'rotated', generation: 1 });
      expect(await store.get(r.sessionId)).toMatchObject({ tokenGeneration: 1, tokenRotatedAt: t, metadata: r.metadata, version: r.version });
      // a second renewal with the same generation loses: it is told the current one and since when
      expect(await store.rotateTokenGeneration!(r.sessionId, 0, t + 5)).toEqual({ status: 'stale', generation: 1, rotatedAt: t });
      expect(await store.rotateTokenGeneration!(r.sessionId, 1, t + 10)).toEqual({ status: 'rotated', generation: 2 });
      expect(await store.rotateTokenGeneration!(r.sessionId, 7, t + 10)).toEqual({ status: 'stale', generation: 2, rotatedAt: t + 10 });
      // a negative generation never matches: the answer is where the session is, and nothing is written
      expect(await store.rotateTokenGeneration!(r.sessionId, -1, t + 15)).toEqual({ status: 'stale', generation: 2, rotatedAt: t + 10 });
      // a metadata write keeps the generation, and the generation keeps the version
      expect(await store.compareAndSetMetadata(r.sessionId, 0, '{"a":1}', t + 20)).toEqual({ status: 'ok', version: 1 });
      expect(await store.get(r.sessionId)).toMatchObject({ tokenGeneration: 2, version: 1 });
      await store.revoke(r.sessionId, t + 30);
      expect(await store.rotateTokenGeneration!(r.sessionId, 2, t + 40)).toEqual({ status: 'ended' });
      expect(await store.rotateTokenGeneration!('unknown', 0, t)).toEqual({ status: 'missing' });
      // a session never renewed has no generation fields at all
      const fresh = record();
      await store.create(fresh);
      const read = await store.get(fresh.sessionId);
      expect(read).toEqual(fresh);
      expect(read).not.toHaveProperty('tokenGeneration');
    });

    it('claim is once-only: one claimant, others see pending, then transferred', async () => {
      const r = record('{"cart":["a"]}');
      await store.create(r);
      const t = now();
      const first = await store.claim(r.sessionId, { token: 't1', userId: 'user-1', leaseUntil: t + 30_000, now: t });
      expect(first).toEqual({ status: 'claimed', record: r });
      expect(await store.claim(r.sessionId, { token: 't2', userId: 'user-2', leaseUntil: t + 30_000, now: t })).toEqual({
        status: 'pending',
        userId: 'user-1',
      });
      // metadata writes wait while a transfer holds the session
      expect(await store.compareAndSetMetadata(r.sessionId, 0, '{}', t)).toEqual({ status: 'busy' });
      expect(await store.completeClaim(r.sessionId, 't2', t)).toBe(false);
      expect(await store.completeClaim(r.sessionId, 't1', t + 5)).toBe(true);
      expect(await store.claim(r.sessionId, { token: 't3', userId: 'user-2', leaseUntil: t + 30_000, now: t })).toEqual({
        status: 'transferred',
        userId: 'user-1',
        at: t + 5,
      });
      expect(await store.get(r.sessionId)).toMatchObject({ state: 'transferred', transferredTo: 'user-1', transferredAt: t + 5 });
    });

    it('a released or lapsed claim leaves the session active and claimable', async () => {
      const r = record();
      await store.create(r);
      const t = now();
      await store.claim(r.sessionId, { token: 't1', userId: 'user-1', leaseUntil: t + 1000, now: t });
      await store.releaseClaim(r.sessionId, 't1');
      expect((await store.claim(r.sessionId, { token: 't2', userId: 'user-2', leaseUntil: t + 1000, now: t })).status).toBe('claimed');
      // t2 crashes; after its lease, t3 may claim
      const later = t + 1001;
      expect((await store.claim(r.sessionId, { token: 't3', userId: 'user-3', leaseUntil: later + 1000, now: later })).status).toBe('claimed');
      expect(await store.completeClaim(r.sessionId, 't2', later)).toBe(false);
      expect(await store.get(r.sessionId)).toMatchObject({ state: 'active' });
      expect(await store.claim(r.sessionId, { token: 'x', userId: 'u', leaseUntil: later, now: later })).toEqual({ status: 'pending', userId: 'user-3' });
    });

    it('a revoked session cannot be claimed', async () => {
      const r = record();
      await store.create(r);
      await store.revoke(r.sessionId, now());
      expect(await store.claim(r.sessionId, { token: 't', userId: 'u', leaseUntil: now() + 1000, now: now() })).toEqual({ status: 'revoked' });
      expect(await store.claim('nope', { token: 't', userId: 'u', leaseUntil: now() + 1000, now: now() })).toEqual({ status: 'missing' });
    });

    it('tickets are single-use and expire', async () => {
      const t = now();
      await store.putTicket('tk1', 'sess-1', t + 30_000);
      expect(await store.takeTicket('tk1', t)).toBe('sess-1');
      expect(await store.takeTicket('tk1', t)).toBeUndefined();
      await store.putTicket('tk2', 'sess-2', t + 1);
      expect(await store.takeTicket('tk2', t + 5)).toBeUndefined();
      expect(await store.takeTicket('unknown', t)).toBeUndefined();
    });

    it('putIfAbsent stores once and then answers the first value until it expires', async () => {
      const t = now();
      expect(await store.putIfAbsent('idem-1', 'sess-a', t + 60_000, t)).toBeUndefined();
      expect(await store.putIfAbsent('idem-1', 'sess-b', t + 60_000, t)).toBe('sess-a');
    });

    it('keeps transfer links by anonymous user id', async () => {
      const link = { anonymousUserId: 'anon|a{b}', sessionId: 's1', userId: 'user-1', at: now() };
      await store.saveTransferLink(link, now() + 60_000);
      expect(await store.getTransferLink('anon|a{b}')).toEqual(link);
      expect(await store.getTransferLink('anon|other')).toBeUndefined();
    });

    // Transfers into one account (issue #13)

    it('renewClaim extends only a claim its token still holds, and a renewed claim keeps metadata writes waiting', async () => {
      const r = record();
      await store.create(r);
      const t = now();
      await store.claim(r.sessionId, { token: 't1', userId: 'user-1', leaseUntil: t + 1000, now: t });
      expect(await store.renewClaim(r.sessionId, 't1', t + 60_000, t)).toBe(true);
      expect(await store.renewClaim(r.sessionId, 't2', t + 60_000, t)).toBe(false);
      // past the first lease, the renewed claim still holds the session
      expect(await store.compareAndSetMetadata(r.sessionId, 0, '{}', t + 5000)).toEqual({ status: 'busy' });
      expect(await store.claim(r.sessionId, { token: 't2', userId: 'user-2', leaseUntil: t + 6000, now: t + 5000 })).toEqual({ status: 'pending', userId: 'user-1' });
      await store.releaseClaim(r.sessionId, 't1');
      expect(await store.renewClaim(r.sessionId, 't1', t + 60_000, t)).toBe(false);
      await store.claim(r.sessionId, { token: 't3', userId: 'user-1', leaseUntil: t + 1000, now: t });
      await store.completeClaim(r.sessionId, 't3', t);
      expect(await store.renewClaim(r.sessionId, 't3', t + 60_000, t)).toBe(false);
      expect(await store.renewClaim('nope', 't3', t + 60_000, t)).toBe(false);
    });

    it('an account lease has one holder at a time; only its token renews or releases it', async () => {
      const t = now();
      const first = await store.acquireAccountLease('user-{1}', { token: 'a', ttl: 30_000, now: t });
      expect(first).toEqual({ status: 'acquired', fence: expect.any(Number) });
      expect(await store.acquireAccountLease('user-{1}', { token: 'b', ttl: 30_000, now: t })).toEqual({ status: 'held' });
      expect((await store.acquireAccountLease('user-2', { token: 'b', ttl: 30_000, now: t })).status).toBe('acquired');
      expect(await store.renewAccountLease('user-{1}', 'b', 30_000, t)).toBe(false);
      expect(await store.renewAccountLease('user-{1}', 'a', 30_000, t)).toBe(true);
      await store.releaseAccountLease('user-{1}', 'b'); // not the holder: nothing happens
      expect(await store.acquireAccountLease('user-{1}', { token: 'b', ttl: 30_000, now: t })).toEqual({ status: 'held' });
      await store.releaseAccountLease('user-{1}', 'a');
      expect(await store.renewAccountLease('user-{1}', 'a', 30_000, t)).toBe(false);
      const second = await store.acquireAccountLease('user-{1}', { token: 'b', ttl: 30_000, now: t });
      expect(second.status).toBe('acquired');
    });

    it('fences increase with every lease on an account: after a release, after a lapse, and from the clock', async () => {
      const t = now();
      const fences: number[] = [];
      for (const token of ['a', 'b', 'c']) {
        const lease = await store.acquireAccountLease('user-f', { token, ttl: 30_000, now: t });
        if (lease.status !== 'acquired') throw new Error('expected the lease');
        fences.push(lease.fence);
        await store.releaseAccountLease('user-f', token);
      }
      expect(fences[1]).toBeGreaterThan(fences[0]);
      expect(fences[2]).toBeGreaterThan(fences[1]);
      // A holder that crashed: its lease lapses after ttl and the next one gets a larger fence.
      await store.acquireAccountLease('user-f', { token: 'crashed', ttl: 1, now: t });
      const next = await eventually(
        () => store.acquireAccountLease('user-f', { token: 'd', ttl: 30_000, now: t + 2 }),
        (r) => r.status === 'acquired',
        2000,
        5,
      );
      expect(next.status === 'acquired' && next.fence > fences[2]).toBe(true);
      expect(await store.renewAccountLease('user-f', 'crashed', 30_000, t + 2)).toBe(false);
      // A fence starts from the clock, so it stays ahead of what an app stored before a restart of the store.
      expect(fences[0]).toBeGreaterThanOrEqual(Math.min(t, Date.now()) - 60_000);
    });

    it('destroy deletes the record', async () => {
      const r = record();
      await store.create(r);
      await store.destroy(r.sessionId);
      expect(await store.get(r.sessionId)).toBeUndefined();
    });
  });
}
