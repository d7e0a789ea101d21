import request from 'supertest';
import type { Express } from 'express';
import { MemoryStore, StoreUnavailableError, type TransferEvent } from '../../lib';
import { memoryUsers, transferApp, type ShopUser } from '../support/transfer-app';
import { frozenClock } from '../support/app';
import { internals } from '../support/internals';
import { eventually } from '../support/eventually';

const alice = (): ShopUser => ({ id: 'alice', name: 'Alice', data: { cart: [{ sku: 'tea', quantity: 1 }] } });
const sessionIdOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).session_id;

async function guest(app: Express, cart: unknown[]): Promise<string> {
  return (await request(app).post('/anonymous/token').send({ metadata: { cart } }).expect(200)).body.session_token as string;
}
const login = (app: Express, username: string, token: string) => request(app).post('/login').send({ username, anonymous_session_token: token });

jest.setTimeout(40_000); // real leases of seconds, on a machine that may be busy

describe('transfers into one account are serialized (issue #13, item 1)', () => {
  it('two guests logging into one account at the same moment both land: the hook reads the account under its lease', async () => {
    const users = memoryUsers([alice()]);
    let inHook = 0;
    let mostInHook = 0;
    const { app, anon } = transferApp({
      users,
      // Between the hook's read and its write: without the lease the other merge would read the same account.
      onMerge: async () => {
        mostInHook = Math.max(mostInHook, ++inHook);
        await new Promise((resolve) => setTimeout(resolve, 40));
        inHook--;
      },
    });
    const merged: TransferEvent[] = [];
    anon.on('transfer', (e) => merged.push(e));
    const phone = await guest(app, [{ sku: 'tea', quantity: 2 }, { sku: 'mug', quantity: 1 }]);
    const laptop = await guest(app, [{ sku: 'tea', quantity: 3 }, { sku: 'pen', quantity: 1 }]);

    const results = await Promise.all([login(app, 'alice', phone), login(app, 'alice', laptop)]);
    expect(results.map((r) => r.body.transfer.status)).toEqual(['merged', 'merged']);
    expect(mostInHook).toBe(1);
    expect(users.all.get('alice')!.data.cart).toEqual(expect.arrayContaining([{ sku: 'tea', quantity: 6 }, { sku: 'mug', quantity: 1 }, { sku: 'pen', quantity: 1 }]));
    expect(users.all.get('alice')!.data.cart).toHaveLength(3);
    // Each merge had its own fence, the later one larger; each guest its own transfer id.
    const [first, second] = merged;
    expect(second.fence!).toBeGreaterThan(first.fence!);
    expect(first.transferId).not.toBe(second.transferId);
  });

  it('a login that cannot have the account lease within transfer.accountWait is `busy` (real time, even with a frozen clock); the guest stays intact', async () => {
    const clock = frozenClock(Date.now());
    const users = memoryUsers([alice()]);
    const { app, anon, logs } = transferApp({ users, anon: { clock: clock.now, transfer: { accountWait: 1 } } });
    const busy: TransferEvent[] = [];
    anon.on('transfer:busy', (e) => busy.push(e));
    const { store } = internals(anon);
    expect(await store.acquireAccountLease('alice', { token: 'another-merge', ttl: 60_000, now: clock.now() })).toMatchObject({ status: 'acquired' });
    const token = await guest(app, [{ sku: 'pen', quantity: 2 }]);

    const started = Date.now();
    const res = await login(app, 'alice', token).expect(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(res.body.transfer).toEqual({ status: 'busy', userId: 'alice' });
    expect(busy).toEqual([expect.objectContaining({ outcome: 'busy', userId: 'alice', transferId: expect.any(String) })]);
    expect(logs.filter(([, m]) => m.includes('transfer.accountWait'))).toHaveLength(1);
    // The claim was given back: the guest is active and writable at once, and the next login merges it.
    await anon.updateSession(sessionIdOf(token), { note: 'still mine' });
    await store.releaseAccountLease('alice', 'another-merge');
    expect((await login(app, 'alice', token).expect(200)).body.transfer.status).toBe('merged');
    expect(users.all.get('alice')!.data.cart).toEqual([{ sku: 'tea', quantity: 1 }, { sku: 'pen', quantity: 2 }]);
  });

  it('onConflict and onError keep their meaning: a busy account fails a strict login with transfer_failed', async () => {
    const { app, anon } = transferApp({ users: memoryUsers([alice()]), anon: { transfer: { accountWait: 1 } } });
    await internals(anon).store.acquireAccountLease('alice', { token: 'x', ttl: 60_000, now: Date.now() });
    const token = await guest(app, [{ sku: 'pen', quantity: 1 }]);
    const res = await request(app).post('/login-strict').send({ username: 'alice', anonymous_session_token: token }).expect(500);
    expect(res.body.error).toBe('server_error');
  });
});

describe('a merge that outlives its lease (issue #13, item 2)', () => {
  it('the claim and the account lease are renewed while the hook runs: another login cannot take the guest meanwhile', async () => {
    const users = memoryUsers([alice(), { id: 'bob', name: 'Bob', data: {} }]);
    let hookDone = false;
    let aliceInHook = false;
    const { app, anon } = transferApp({
      users,
      anon: { transfer: { lease: 2 } },
      onMerge: async (user) => {
        if (user.id !== 'alice') return;
        aliceInHook = true;
        await new Promise((resolve) => setTimeout(resolve, 5000)); // 2.5 leases
      },
    });
    const outcomes: TransferEvent[] = [];
    anon.on('transfer:outcome', (e) => outcomes.push(e));
    const token = await guest(app, [{ sku: 'pen', quantity: 1 }]);
    const slow = login(app, 'alice', token).then((r) => ((hookDone = true), r));
    await eventually(async () => aliceInHook, (inHook) => inHook, 2000, 10); // Alice holds the guest's claim

    // Bob tries the same guest again and again while Alice's merge runs past its first lease.
    const bob = await eventually(async () => (await login(app, 'bob', token)).body.transfer.status as string, () => hookDone, 10000, 150);
    expect((await slow).body.transfer.status).toBe('merged');
    expect(bob).toBe('already_transferred');
    expect(outcomes.filter((e) => e.outcome === 'merged')).toHaveLength(1);
    expect(outcomes.filter((e) => e.userId === 'bob').map((e) => e.outcome)).toContain('conflict');
    expect(users.all.get('bob')!.data).toEqual({});
  });

  it('an attempt that lost its lease is refused by the fence; the other merge survives and the loser retries with the same transfer id', async () => {
    const store = new MemoryStore();
    const users = memoryUsers([alice()]);
    // Process A cannot reach the store to renew (a partition, a long pause): its lease lapses under it.
    const cutOff = Object.create(store) as MemoryStore;
    cutOff.renewClaim = cutOff.renewAccountLease = async () => {
      throw new StoreUnavailableError('unreachable', 1);
    };
    let bWrote = false;
    let aInHook = false;
    const seen: Array<{ user: string; transferId: string; fence: number; aborted: boolean }> = [];
    const hold = { enabled: true };
    const onMerge = async (_user: ShopUser, c: { transferId: string; fence: number; signal: AbortSignal; anonymous: { metadata: Record<string, unknown> } }) => {
      const who = JSON.stringify(c.anonymous.metadata).includes('from-a') ? 'a' : 'b';
      if (who === 'a' && hold.enabled) {
        aInHook = true;
        await eventually(async () => bWrote, (done) => done, 10000, 25);
      }
      seen.push({ user: who, transferId: c.transferId, fence: c.fence, aborted: c.signal.aborted });
    };
    const a = transferApp({ users, store: cutOff, fenced: true, anon: { transfer: { lease: 1 } }, onMerge });
    const b = transferApp({ users, store, fenced: true, anon: { transfer: { lease: 1 } }, onMerge });
    b.anon.on('transfer', () => void (bWrote = true));
    const tokenA = await guest(a.app, [{ sku: 'from-a', quantity: 1 }]);
    const tokenB = await guest(b.app, [{ sku: 'from-b', quantity: 1 }]);

    const first = login(a.app, 'alice', tokenA).then((r) => r); // supertest sends on then()
    await eventually(async () => aInHook, (inHook) => inHook, 2000, 10); // A holds the account lease, and stalls
    const bLogin = await login(b.app, 'alice', tokenB).expect(200); // waits for A's lease to lapse, then merges
    expect(bLogin.body.transfer.status).toBe('merged');
    const aLogin = await first;
    expect(aLogin.body.transfer).toEqual({ status: 'failed', error: expect.stringMatching(/stale fence/) });
    // Logged either way: by the lease keeper if its renewal tick saw the lapse first, else as the failed attempt.
    expect(a.logs.some(([level, m]) => level === 'error' && /lost its lease|onTransfer failed/.test(m))).toBe(true);

    hold.enabled = false;
    const retry = await eventually(async () => (await login(a.app, 'alice', tokenA)).body.transfer.status, (s) => s === 'merged', 10000, 100);
    expect(retry).toBe('merged');
    const [bMerge, stale, again] = seen; // A records after its stall, once B has written
    expect(stale).toMatchObject({ user: 'a', aborted: true });
    expect(bMerge.fence).toBeGreaterThan(stale.fence);
    expect(again).toMatchObject({ user: 'a', transferId: stale.transferId, aborted: false });
    expect(again.fence).toBeGreaterThan(bMerge.fence);
    expect(users.all.get('alice')!.data.cart).toEqual([{ sku: 'tea', quantity: 1 }, { sku: 'from-b', quantity: 1 }, { sku: 'from-a', quantity: 1 }]);
    store.close();
  });

  it('a hook that outlives transfer.hookTimeout fails the attempt, aborts its signal, and lets its leases lapse', async () => {
    const users = memoryUsers([alice()]);
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    let signal: AbortSignal | undefined;
    let hang = true;
    const { app, anon, logs } = transferApp({
      users,
      anon: { transfer: { lease: 1, hookTimeout: 1 } },
      onMerge: async (_user, c) => {
        if (!hang) return;
        signal = c.signal;
        await stuck;
        throw new Error('the database refused the late write');
      },
    });
    const failed: TransferEvent[] = [];
    anon.on('transfer:failed', (e) => failed.push(e));
    const token = await guest(app, [{ sku: 'pen', quantity: 1 }]);
    const res = await login(app, 'alice', token).expect(200);
    expect(res.body.transfer).toEqual({ status: 'failed', error: expect.stringContaining('transfer.hookTimeout') });
    expect(signal?.aborted).toBe(true);
    expect(failed).toHaveLength(1);
    expect(logs.filter(([level]) => level === 'error')).toHaveLength(1);

    hang = false;
    const next = await eventually(async () => (await login(app, 'alice', token)).body.transfer.status, (s) => s === 'merged', 5000, 100);
    expect(next).toBe('merged');
    release(); // the stuck hook's late write is refused: reported, not swallowed
    await eventually(async () => logs.length, (n) => n > 1, 2000, 10);
    expect(logs[1]).toEqual(['error', expect.stringContaining('onTransfer failed after transfer.hookTimeout')]);
    expect(users.all.get('alice')!.data.cart).toEqual([{ sku: 'tea', quantity: 1 }, { sku: 'pen', quantity: 1 }]);
  });
});
