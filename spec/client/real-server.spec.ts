import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import passport from 'passport';
import { buildApp } from '../support/app';
import { decode } from '../support/oauth';
import { isAnonymousUser, type AnonymousSessions } from '../../lib';
import { createAnonymousClient, type GuestChangeEvent } from '../../lib/client';

/**
 * The client against the library's own server: anonymousSessions() + anon.router(), a bearer API behind the
 * `anonymous` strategy, listening on a free port; the client on Node's global fetch. Only Date is faked (to reach
 * the renewal without waiting), for the server and the client alike.
 */
let server: Server;
let base: string;
let anon: AnonymousSessions;

beforeAll(async () => {
  const pp = new passport.Passport();
  // The server reads Date.now at each call, so that a test that fakes Date moves the server's clock too.
  const built = buildApp({ rateLimit: false, clock: () => Date.now() }, undefined, (app, a) => {
    pp.use(a.strategy({ checkRevocation: true }));
    app.use(pp.initialize());
    app.use(a.router());
    app.get('/api/me', pp.authenticate('anonymous', { session: false }), (req, res) => {
      res.json({ guest: isAnonymousUser(req.user) ? req.user.id : null });
    });
  });
  anon = built.anon;
  server = createServer(built.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => jest.useRealTimers());

/** Fakes Date only: sockets, timers and microtasks stay real. */
function fakeDateOnly(): void {
  jest.useFakeTimers({
    doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame', 'requestIdleCallback', 'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
    now: Date.now(),
  });
}

async function guestOf(response: Response): Promise<string> {
  expect(response.status).toBe(200);
  return ((await response.json()) as { guest: string }).guest;
}

describe('the client against the real server (token mode)', () => {
  it('creates a guest, calls a bearer API, renews before expiry as the same guest, and logs out', async () => {
    fakeDateOnly();
    const client = createAnonymousClient({ tokenEndpoint: `${base}/anonymous/token`, clientId: 'default' });
    const events: GuestChangeEvent[] = [];
    client.onGuestChange((event) => events.push(event));

    const guest = await guestOf(await client.fetch(`${base}/api/me`));
    expect(guest).toMatch(/^anon\|/);
    const first = await client.getAccessToken();

    jest.setSystemTime(Date.now() + 841_000); // 59 s before the 900 s access token expires
    const renewed = await client.getAccessToken();
    expect(renewed).not.toBe(first);
    expect(await guestOf(await client.fetch(`${base}/api/me`))).toBe(guest);

    const sessionToken = (await client.sessionToken())!;
    await client.logout();
    expect(events.map((e) => e.reason)).toEqual(['logout']);
    // The server revoked it: its session token no longer renews, and (checkRevocation) its access token is refused.
    const renew = await fetch(`${base}/anonymous/token`, { method: 'POST', body: new URLSearchParams({ session_token: sessionToken }) });
    expect(await renew.json()).toEqual({ error: 'invalid_grant', error_description: 'The anonymous session was revoked', anonymous_session_state: 'revoked' });
    const old = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${renewed}` } });
    expect(old.status).toBe(401);
    expect(old.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);

    // The client starts over with a new guest.
    expect(await guestOf(await client.fetch(`${base}/api/me`))).not.toBe(guest);
  });

  it('renews once and retries once when the API refuses an expired token (a device clock running late)', async () => {
    fakeDateOnly();
    const items = new Map<string, string>();
    const storage = { getItem: (k: string) => items.get(k), setItem: (k: string, v: string) => void items.set(k, v), removeItem: (k: string) => void items.delete(k) };
    const client = createAnonymousClient({ tokenEndpoint: `${base}/anonymous/token`, clientId: 'default', storage });
    const guest = await guestOf(await client.fetch(`${base}/api/me`));
    const expired = await client.getAccessToken();
    jest.setSystemTime(Date.now() + 1000_000); // past exp and the server's clock tolerance
    // The client still believes its token fresh, as it would if its clock lagged the server's.
    const record = JSON.parse(items.get('anonymous_session')!);
    items.set('anonymous_session', JSON.stringify({ ...record, renew_at: Date.now() + 60_000 }));

    expect(await guestOf(await client.fetch(`${base}/api/me`))).toBe(guest);
    expect(await client.getAccessToken()).not.toBe(expired);
  });

  it('after a server-side revoke, a bearer call is not re-sent as another guest; the next call is a new guest', async () => {
    const client = createAnonymousClient({ tokenEndpoint: `${base}/anonymous/token`, clientId: 'default' });
    const events: GuestChangeEvent[] = [];
    client.onGuestChange((event) => events.push(event));
    const guest = await guestOf(await client.fetch(`${base}/api/me`));
    // Revoke server-side, as an admin or an erase request would.
    expect(await anon.revokeSession(decode(await client.getAccessToken()).claims.sid as string)).toBe(true);

    const refused = await client.fetch(`${base}/api/me`);
    expect(refused.status).toBe(401); // not re-sent as another guest
    expect(events.map((e) => e.reason)).toEqual(['revoked']);
    expect(await guestOf(await client.fetch(`${base}/api/me`))).not.toBe(guest);
  });

  it('gets a single-use transfer ticket for a login through a redirect', async () => {
    const client = createAnonymousClient({ tokenEndpoint: `${base}/anonymous/token`, clientId: 'default' });
    await client.getAccessToken();
    const url = new URL(await client.loginUrl(`${base}/login?next=%2Fcart`));
    expect(url.searchParams.get('next')).toBe('/cart');
    expect(url.searchParams.get('transfer_ticket')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('the client against the real server (cookie mode)', () => {
  /** Node's fetch keeps no cookies and sends no Origin: a one-cookie jar and the Origin, as a same-origin page's browser would. */
  function browserFetch() {
    let cookie: string | undefined;
    return async (input: string | URL | Request, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      if (cookie && init.credentials !== 'omit') headers.set('cookie', cookie);
      // A browser sends Origin on every POST fetch (and Sec-Fetch-Site); the endpoints' cookie modes rely on it.
      if ((init.method ?? 'GET') !== 'GET') headers.set('origin', base);
      const res = await fetch(new URL(String(input), base), { ...init, headers });
      cookie = res.headers.get('set-cookie')?.split(';')[0] ?? cookie;
      return res;
    };
  }

  it("gets tokens for the page's cookie guest without a session token, and logs that guest out", async () => {
    const pageFetch = browserFetch();
    const page = (await (await pageFetch('/me')).json()) as { id: string; sessionId: string };
    const client = createAnonymousClient({ tokenEndpoint: '/anonymous/token', clientId: 'default', mode: 'cookie', fetch: pageFetch });

    expect(await guestOf(await client.fetch(`${base}/api/me`))).toBe(page.id);
    expect(await client.sessionToken()).toBeUndefined();
    expect(await anon.getSession(page.sessionId)).toBeDefined();
    const token = await client.getAccessToken();
    await client.logout();
    expect(await anon.getSession(page.sessionId)).toBeUndefined(); // no longer active
    expect((await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});
