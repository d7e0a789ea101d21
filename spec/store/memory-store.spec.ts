import { MemoryStore } from '../../lib';
import { newRecord } from '../../lib/session/record';
import { describeStoreContract } from './store-contract';
import { frozenClock } from '../support/app';

describeStoreContract('MemoryStore', async () => {
  const clock = frozenClock();
  return { store: new MemoryStore({ clock: clock.now }), now: clock.now };
});

describe('MemoryStore bounds and expiry', () => {
  const lifetimes = { idle: 60, absolute: 3600 };

  it('forgets a record at its expiresAt', async () => {
    const clock = frozenClock();
    const store = new MemoryStore({ clock: clock.now });
    const r = newRecord({ userId: 'anon|a', metadata: '{}', now: clock.now(), lifetimes });
    await store.create(r);
    clock.advance(59);
    expect(await store.get(r.sessionId)).toBeDefined();
    clock.advance(1);
    expect(await store.get(r.sessionId)).toBeUndefined();
    store.close();
  });

  it('holds at most maxSessions, evicting the least recently seen', async () => {
    const clock = frozenClock();
    const store = new MemoryStore({ maxSessions: 3, clock: clock.now });
    const records = [1, 2, 3, 4].map((i) => newRecord({ userId: `anon|${i}`, metadata: '{}', now: clock.now(), lifetimes }));
    for (const r of records.slice(0, 3)) await store.create(r);
    await store.touch(records[0].sessionId, clock.now() + 1, records[0].expiresAt + 1); // 1 is now most recent
    await store.create(records[3]);
    expect(store.size).toBe(3);
    expect(await store.get(records[1].sessionId)).toBeUndefined();
    for (const i of [0, 2, 3]) expect(await store.get(records[i].sessionId)).toBeDefined();
    store.close();
  });

  it('at capacity, drops an expired record before any live one', async () => {
    const clock = frozenClock();
    const store = new MemoryStore({ maxSessions: 3, clock: clock.now });
    const a = newRecord({ userId: 'anon|a', metadata: '{}', now: clock.now(), lifetimes });
    const shortLived = newRecord({ userId: 'anon|b', metadata: '{}', now: clock.now(), lifetimes: { idle: 60, absolute: 5 } });
    const c = newRecord({ userId: 'anon|c', metadata: '{}', now: clock.now(), lifetimes });
    for (const r of [a, shortLived, c]) await store.create(r);
    clock.advance(6); // b is past its absolute lifetime; a is the least recently seen live record
    await store.create(newRecord({ userId: 'anon|d', metadata: '{}', now: clock.now(), lifetimes }));
    expect(store.size).toBe(3);
    expect(await store.get(a.sessionId)).toBeDefined();
    expect(await store.get(c.sessionId)).toBeDefined();
    store.close();
  });

  it('names the option it refuses', () => {
    expect(() => new MemoryStore({ maxSessions: 0 })).toThrow('MemoryStore.maxSessions: must be a positive integer');
  });
});
