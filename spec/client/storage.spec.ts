import { createAnonymousClient, type ClientStorage } from '../../lib/client';
import { ACCESS_LIFETIME, FakeServer, ISSUER } from './support/fake-server';
import { FakeAsyncStorage, FakeLockManager, FakeWebStorage, LaggingLocalStorage, advance, setGlobal, settle, useFakeClock } from './support/environment';

beforeEach(() => useFakeClock());
afterEach(() => jest.useRealTimers());

const options = (server: FakeServer) => ({ issuer: ISSUER, clientId: 'shop-spa', fetch: server.fetch });

describe('storage', () => {
  it('keeps the guest in memory by default: a second client (another page load) starts a new guest', async () => {
    const server = new FakeServer();
    await createAnonymousClient(options(server)).getAccessToken();
    await createAnonymousClient(options(server)).getAccessToken();
    expect(server.guests.size).toBe(2);
  });

  it("stores one JSON record under 'anonymous_session' in localStorage, and a reload resumes the guest from it", async () => {
    const server = new FakeServer();
    const localStorage = new FakeWebStorage();
    const restore = setGlobal('localStorage', localStorage);
    try {
      await createAnonymousClient({ ...options(server), storage: 'localStorage' }).getAccessToken();
      expect([...localStorage.items.keys()]).toEqual(['anonymous_session']);
      expect(JSON.parse(localStorage.getItem('anonymous_session')!)).toEqual({
        access_token: 'at-1',
        renew_at: Date.now() + (ACCESS_LIFETIME - 60) * 1000,
        session_token: 'st-1',
        guest_tag: expect.stringMatching(/^[0-9a-f]{16}$/),
      });
      const reloaded = createAnonymousClient({ ...options(server), storage: 'localStorage' });
      expect(await reloaded.getAccessToken()).toBe('at-1');
      expect(server.calls).toHaveLength(1);
    } finally {
      restore();
    }
  });

  it('takes sessionStorage by name, and a storageKey of its own', async () => {
    const server = new FakeServer();
    const sessionStorage = new FakeWebStorage();
    const restore = setGlobal('sessionStorage', sessionStorage);
    try {
      await createAnonymousClient({ ...options(server), storage: 'sessionStorage', storageKey: 'shop.guest' }).getAccessToken();
      expect([...sessionStorage.items.keys()]).toEqual(['shop.guest']);
    } finally {
      restore();
    }
  });

  it('works with an async storage (AsyncStorage, expo-secure-store), resuming after a restart', async () => {
    const server = new FakeServer();
    const storage = new FakeAsyncStorage();
    const client = createAnonymousClient({ ...options(server), storage });
    const tokens = await Promise.all(Array.from({ length: 10 }, () => client.getAccessToken()));
    expect(tokens).toEqual(Array(10).fill('at-1'));
    expect(server.calls).toHaveLength(1);
    expect(storage.calls).toContain('set anonymous_session');
    const restarted = createAnonymousClient({ ...options(server), storage });
    expect(await restarted.getAccessToken()).toBe('at-1');
    await advance(ACCESS_LIFETIME * 1000);
    expect(await restarted.getAccessToken()).toBe('at-2');
    expect(server.calls[1].form.session_token).toBe('st-1');
  });

  it('starts over when the stored record is not one it wrote (corrupt or another shape)', async () => {
    const server = new FakeServer();
    const storage = new FakeWebStorage();
    const client = createAnonymousClient({ ...options(server), storage });
    for (const garbage of ['{not json', '"a string"', '{"access_token":"x"}']) {
      storage.setItem('anonymous_session', garbage);
      await client.getAccessToken();
    }
    expect(server.guests.size).toBe(3);
    expect(server.calls.every((c) => c.form.session_token === undefined)).toBe(true);
  });

  it('passes a storage failure on to the caller instead of hiding it', async () => {
    const server = new FakeServer();
    const storage: ClientStorage = {
      getItem: () => null,
      setItem: () => Promise.reject(new Error('The value is larger than 2048 bytes')),
      removeItem: () => undefined,
    };
    await expect(createAnonymousClient({ ...options(server), storage }).getAccessToken()).rejects.toThrow('2048 bytes');
  });
});

describe('across tabs: the Web Locks API', () => {
  /** Two "tabs": two clients over one localStorage (each tab's view lagging the other's by `lagMs`), with navigator.locks. */
  function twoTabs(locks: FakeLockManager | undefined, lagMs = 0) {
    const server = new FakeServer();
    const shared = new LaggingLocalStorage(lagMs);
    const restoreNavigator = setGlobal('navigator', locks ? { locks } : {});
    const tabs = [0, 1].map(() => {
      const restore = setGlobal('localStorage', shared.tab());
      try {
        return createAnonymousClient({ ...options(server), storage: 'localStorage' });
      } finally {
        restore();
      }
    });
    return { server, tabs, restore: restoreNavigator };
  }

  /** Runs the calls to their end on the fake clock (a Web Lock is held 100 ms after its task). */
  async function all<T>(calls: Array<Promise<T>>): Promise<T[]> {
    const results = Promise.all(calls);
    await advance(1000);
    return results;
  }

  it('renews once for two tabs: the second, inside the lock, reads the token the first stored', async () => {
    const locks = new FakeLockManager();
    const { server, tabs, restore } = twoTabs(locks);
    try {
      await all([tabs[0].getAccessToken()]);
      await advance(ACCESS_LIFETIME * 1000);
      const tokens = await all([tabs[0].getAccessToken(), tabs[1].getAccessToken(), tabs[1].getAccessToken()]);
      expect(tokens).toEqual(['at-2', 'at-2', 'at-2']);
      expect(server.calls).toHaveLength(2);
      expect(new Set(locks.requests)).toEqual(new Set(['express-anonymous-session:anonymous_session']));
    } finally {
      restore();
    }
  });

  it('creates one guest for two tabs opened at once, although a write takes 20 ms to reach the other tab', async () => {
    const { server, tabs, restore } = twoTabs(new FakeLockManager(), 20);
    try {
      const tokens = await all([tabs[0].getAccessToken(), tabs[1].getAccessToken()]);
      expect(tokens).toEqual(['at-1', 'at-1']);
      expect(server.guests.size).toBe(1);
    } finally {
      restore();
    }
  });

  it('gives the caller its token at once: only the next tab waits for the lock to be let go', async () => {
    const { tabs, restore } = twoTabs(new FakeLockManager());
    try {
      let token: string | undefined;
      void tabs[0].getAccessToken().then((t) => (token = t));
      await settle(); // no time passes
      expect(token).toBe('at-1');
    } finally {
      restore();
    }
  });

  it('(without Web Locks, two tabs would each renew: what the lock prevents)', async () => {
    const { server, tabs, restore } = twoTabs(undefined);
    try {
      await tabs[0].getAccessToken();
      await advance(ACCESS_LIFETIME * 1000);
      await Promise.all([tabs[0].getAccessToken(), tabs[1].getAccessToken()]);
      expect(server.calls).toHaveLength(3);
    } finally {
      restore();
    }
  });

  it('takes no Web Lock for memory storage, which no other tab can see', async () => {
    const locks = new FakeLockManager();
    const restore = setGlobal('navigator', { locks });
    try {
      await createAnonymousClient(options(new FakeServer())).getAccessToken();
      expect(locks.requests).toEqual([]);
    } finally {
      restore();
    }
  });
});
