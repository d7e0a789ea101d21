import request from 'supertest';
import type { Express } from 'express';
import { MemoryStore, anonymousSessions, cartBySku, keepUser, mergeMetadata, union, type Metadata, type TransferEvent } from '../../lib';
import { capturingLogger, memoryUsers, transferApp, type ShopUser } from '../support/transfer-app';
import { buildApp, frozenClock, ISSUER, AUDIENCE } from '../support/app';
import { TEST_KEYS } from '../support/keys';
import { internals } from '../support/internals';

const alice = (): ShopUser => ({ id: 'alice', name: 'Alice', data: { cart: [{ sku: 'tea', quantity: 1 }] } });
const sessionIdOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).session_id;

async function apiGuest(app: Express, metadata: Metadata): Promise<string> {
  return (await request(app).post('/anonymous/token').send({ metadata }).expect(200)).body.session_token as string;
}
const login = (app: Express, username: string, token: string) => request(app).post('/login').send({ username, anonymous_session_token: token });

function recordEvents(anon: { on(name: never, l: (e: TransferEvent) => void): unknown }): Array<[string, TransferEvent]> {
  const seen: Array<[string, TransferEvent]> = [];
  for (const name of ['transfer', 'transfer:conflict', 'transfer:failed', 'transfer:busy', 'transfer:outcome']) {
    anon.on(name as never, (e) => seen.push([name, e]));
  }
  return seen;
}

describe('failures are logged and every outcome is evented (issue #13, item 5)', () => {
  it('a throwing onTransfer is logged once through the configured logger, with the transfer id', async () => {
    const { app, anon, logs } = transferApp({ users: memoryUsers([alice()]), onMerge: () => { throw new Error('user db timeout'); } });
    const events = recordEvents(anon);
    const token = await apiGuest(app, { cart: [{ sku: 'pen', quantity: 1 }] });
    expect((await login(app, 'alice', token).expect(200)).body.transfer).toEqual({ status: 'failed', error: 'Error: user db timeout' });
    expect(logs).toEqual([['error', expect.stringMatching(/^express-anonymous-session: transfer \S+: onTransfer failed; the guest is intact/)]]);
    expect(events.map(([name]) => name)).toEqual(['transfer:failed', 'transfer:outcome']);
    expect(events[0][1]).toMatchObject({ outcome: 'failed', transferId: expect.any(String), fence: expect.any(Number), source: 'session_token', error: expect.any(Error) });
  });

  it('when giving the claim back fails too, both errors are reported: outcome, event and log', async () => {
    class LosingStore extends MemoryStore {
      override async releaseClaim(): Promise<void> {
        throw new Error('release lost');
      }
    }
    const { app, anon, logs } = transferApp({ users: memoryUsers([alice()]), store: new LosingStore(), onMerge: () => { throw new Error('user db timeout'); } });
    const failed: TransferEvent[] = [];
    anon.on('transfer:failed', (e) => failed.push(e));
    const token = await apiGuest(app, { cart: [{ sku: 'pen', quantity: 1 }] });
    const res = await login(app, 'alice', token).expect(200);
    expect(res.body.transfer).toEqual({ status: 'failed', error: 'Error: user db timeout', cleanupError: 'Error: release lost' });
    expect(failed).toEqual([expect.objectContaining({ error: expect.objectContaining({ message: 'user db timeout' }), cleanupError: expect.objectContaining({ message: 'release lost' }) })]);
    expect(logs.map(([level, m]) => [level, m.replace(/transfer [^\s:]+/, 'transfer …')])).toEqual([
      ['error', expect.stringContaining('transfer …: onTransfer failed')],
      ['error', expect.stringContaining("transfer …: giving the guest's claim back failed; it lapses after transfer.lease")],
    ]);
  });

  it('a same-user wait that ends in conflict is evented and bounded in real time, even with a frozen clock', async () => {
    const clock = frozenClock(Date.now());
    const { app, anon } = transferApp({ users: memoryUsers([alice()]), anon: { clock: clock.now } });
    const events = recordEvents(anon);
    const token = await apiGuest(app, { cart: [{ sku: 'pen', quantity: 1 }] });
    // Another attempt by alice holds the guest (a crashed process whose lease has not lapsed).
    const held = await internals(anon).store.claim(sessionIdOf(token), { token: 'other', userId: 'alice', leaseUntil: clock.now() + 30_000, now: clock.now() });
    expect(held.status).toBe('claimed');
    const started = Date.now();
    const res = await login(app, 'alice', token).expect(200);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res.body.transfer).toEqual({ status: 'conflict', userId: 'alice' });
    expect(events.map(([name, e]) => [name, e.outcome])).toEqual([['transfer:conflict', 'conflict'], ['transfer:outcome', 'conflict']]);
  });

  it('transfer:outcome hears every outcome, no_session included', async () => {
    // No guest at all: the middleware skips the login route, and the request names none.
    const { app, anon } = transferApp({ users: memoryUsers([alice()]), anon: { skip: (req) => req.path === '/login' } });
    const events = recordEvents(anon);
    expect((await request(app).post('/login').send({ username: 'alice' }).expect(200)).body.transfer).toEqual({ status: 'no_session' });
    expect(events).toEqual([['transfer:outcome', expect.objectContaining({ outcome: 'no_session', userId: 'alice', sessionId: '' })]]);
  });
});

describe('guest carts are never dropped silently (issue #13, item 6)', () => {
  it("the README's quick start (a cart of SKU strings) and its transfer snippet (cartBySku) together keep the guest's cart", async () => {
    const accounts = new Map<string, { id: string; data: Metadata }>([['ada', { id: 'ada', data: { cart: ['tea'] } }]]);
    const logger = capturingLogger();
    // The transfer section's hook, as written there.
    const { app, anon } = buildApp({
      logger,
      rateLimit: false,
      async onTransfer({ anonymous, user }) {
        const account = accounts.get((user as { id: string }).id)!;
        const merged = { ...account, data: mergeMetadata({ cart: cartBySku(), consents: union(), prefs: keepUser() }, account.data, anonymous.metadata) };
        accounts.set(account.id, merged);
        return merged;
      },
    }, undefined, (a, anonInstance) => {
      a.post('/login', (req, res, next) => anonInstance.transferTo(req, accounts.get('ada') as never, 'login').then((outcome) => res.json(outcome), next));
    });
    const browser = request.agent(app);
    for (const sku of ['tea', 'mug', 'tea']) await browser.post('/cart').send({ sku }).expect(200); // the quick start's route
    const outcome = (await browser.post('/login').expect(200)).body;
    expect(outcome).toMatchObject({ status: 'merged', dropped: [] });
    expect(accounts.get('ada')!.data.cart).toEqual(['tea', 'tea', 'tea', 'mug']);
    expect(logger.lines).toEqual([]);
    anon.close();
  });

  it('what the merge leaves out is in the outcome and the event, and logged', async () => {
    const users = memoryUsers([alice()]);
    const { app, anon, logs } = transferApp({ users });
    const merged: TransferEvent[] = [];
    anon.on('transfer', (e) => merged.push(e));
    const token = await apiGuest(app, { cart: [{ sku: 'pen', quantity: 2 }, { name: 'gift card' }, 42] });
    const outcomes: unknown[] = [];
    anon.on('transfer:outcome', (e) => outcomes.push(e.dropped));
    expect((await login(app, 'alice', token).expect(200)).body.transfer.status).toBe('merged');
    const dropped = [
      { key: 'cart', from: 'guest', value: { name: 'gift card' }, reason: 'not a { sku, quantity } line or a SKU string' },
      { key: 'cart', from: 'guest', value: 42, reason: 'not a { sku, quantity } line or a SKU string' },
    ];
    expect(merged[0].dropped).toEqual(dropped);
    expect(outcomes).toEqual([dropped]);
    expect(users.all.get('alice')!.data.cart).toEqual([{ sku: 'tea', quantity: 1 }, { sku: 'pen', quantity: 2 }]);
    expect(logs).toEqual([['warn', expect.stringMatching(/the merge left 2 value\(s\) out: cart \(guest\): not a \{ sku, quantity \} line or a SKU string; cart \(guest\)/)]]);
  });

  it('transferTo hands the drops over in the outcome', async () => {
    const anon = anonymousSessions({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: TEST_KEYS,
      logger: capturingLogger(),
      onTransfer: ({ anonymous, user }) => ({ ...(user as object), data: mergeMetadata({ cart: cartBySku() }, {}, anonymous.metadata) }),
    });
    const record = await anon.createSession({ metadata: { cart: ['tea', { sku: 3 }] } });
    const req = { anonymous: { persisted: true, sessionId: record.sessionId }, body: {}, query: {}, get: () => undefined } as never;
    const outcome = await anon.transferTo(req, { id: 'u1' } as never, 'login');
    expect(outcome).toMatchObject({ status: 'merged', dropped: [{ key: 'cart', from: 'guest', value: { sku: 3 } }], user: { data: { cart: ['tea'] } } });
    anon.close();
  });
});
