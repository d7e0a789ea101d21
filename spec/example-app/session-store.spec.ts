import type { SessionData } from 'express-session';
import { BoundedSessionStore } from '../../example-app/session-store';

const data = (expiresInMs: number, note = ''): SessionData =>
  ({ cookie: { originalMaxAge: expiresInMs, expires: new Date(Date.now() + expiresInMs), httpOnly: true, path: '/' }, note }) as unknown as SessionData;
const get = (store: BoundedSessionStore, sid: string) => new Promise<SessionData | null | undefined>((resolve, reject) => store.get(sid, (err, value) => (err ? reject(err) : resolve(value))));
const set = (store: BoundedSessionStore, sid: string, value: SessionData) => new Promise<void>((resolve) => store.set(sid, value, () => resolve()));

describe("the example shop's in-memory session store (a page-view flood cannot grow it without limit)", () => {
  it('keeps at most max sessions, dropping the least recently used', async () => {
    const store = new BoundedSessionStore(3);
    for (const sid of ['a', 'b', 'c']) await set(store, sid, data(60_000, sid));
    expect(await get(store, 'a')).toMatchObject({ note: 'a' }); // a is now the most recently used
    await set(store, 'd', data(60_000, 'd'));
    await set(store, 'e', data(60_000, 'e'));
    expect(store.size).toBe(3);
    expect(await get(store, 'b')).toBeNull();
    expect(await get(store, 'c')).toBeNull();
    expect(await get(store, 'a')).toMatchObject({ note: 'a' });
  });

  it('forgets a session whose cookie expired, and hands out copies', async () => {
    const store = new BoundedSessionStore();
    await set(store, 'old', data(-1));
    expect(await get(store, 'old')).toBeNull();
    await set(store, 'live', data(60_000, 'x'));
    const copy = (await get(store, 'live')) as unknown as { note: string };
    copy.note = 'changed';
    expect(await get(store, 'live')).toMatchObject({ note: 'x' });
  });

  it('10,000 sessions by default: 20,000 page views leave 10,000', async () => {
    const store = new BoundedSessionStore();
    for (let i = 0; i < 20_000; i++) store.set(`s${i}`, data(60_000));
    expect(store.size).toBe(10_000);
  });
});
