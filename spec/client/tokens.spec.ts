import { createAnonymousClient } from '../../lib/client';
import { ACCESS_LIFETIME, FakeServer, ISSUER, TOKEN_URL, networkError } from './support/fake-server';
import { advance, useFakeClock } from './support/environment';

const UNGUESSABLE_KEY = /^[A-Za-z0-9_.:-]{22,64}$/;

function setup() {
  const server = new FakeServer();
  const client = createAnonymousClient({ issuer: ISSUER, clientId: 'shop-spa', fetch: server.fetch });
  return { server, client };
}

beforeEach(() => useFakeClock());
afterEach(() => jest.useRealTimers());

describe('getAccessToken(): creation', () => {
  it('creates the guest on first use with an unguessable Idempotency-Key, as a form with client_id and no cookie', async () => {
    const { server, client } = setup();
    expect(await client.getAccessToken()).toBe('at-1');
    const [create] = server.calls;
    expect(create).toMatchObject({ url: TOKEN_URL, method: 'POST', form: { client_id: 'shop-spa' }, credentials: 'omit' });
    expect(create.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(create.headers.get('idempotency-key')).toMatch(UNGUESSABLE_KEY);
    expect(server.guests.size).toBe(1);
  });

  it('sends audience and scope when configured', async () => {
    const server = new FakeServer();
    const client = createAnonymousClient({ issuer: ISSUER, clientId: 'shop-spa', audience: 'https://api.shop.test', scope: 'cart:read cart:write', fetch: server.fetch });
    await client.getAccessToken();
    expect(server.calls[0].form).toEqual({ client_id: 'shop-spa', audience: 'https://api.shop.test', scope: 'cart:read cart:write' });
  });

  it('retries a creation whose response was lost with the same key, so the server makes one guest', async () => {
    const { server, client } = setup();
    server.script(async (call, serve) => {
      await serve(call); // the server created the guest, but the response never arrived
      return networkError();
    });
    const token = client.getAccessToken();
    await advance(1000); // backoff before the second attempt
    expect(await token).toBe('at-2');
    const keys = server.calls.map((c) => c.headers.get('idempotency-key'));
    expect(keys).toEqual([keys[0], keys[0]]);
    expect(server.guests.size).toBe(1);
  });

  it('retries a creation that goes unanswered for 10 s (aborting it) with the same key', async () => {
    const { server, client } = setup();
    server.script(
      (call) =>
        new Promise<Response>((_resolve, reject) => {
          call.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        }),
    );
    const token = client.getAccessToken();
    await advance(10_000);
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0].signal!.aborted).toBe(true);
    await advance(1000);
    expect(await token).toBe('at-1');
    expect(server.calls[1].headers.get('idempotency-key')).toBe(server.calls[0].headers.get('idempotency-key'));
  });

  it('uses a new key for each creation and never stores or logs it', async () => {
    const logged = ['log', 'info', 'warn', 'error', 'debug'].map((level) => jest.spyOn(console, level as 'log').mockImplementation(() => undefined));
    const { server, client } = setup();
    await client.getAccessToken();
    await client.logout();
    await client.getAccessToken();
    const [first, , second] = server.calls.map((c) => c.headers.get('idempotency-key'));
    expect(first).toMatch(UNGUESSABLE_KEY);
    expect(second).toMatch(UNGUESSABLE_KEY);
    expect(second).not.toBe(first);
    for (const spy of logged) expect(spy).not.toHaveBeenCalled();
    jest.restoreAllMocks();
  });

  it('fails with network_error after 3 attempts when the server never answers, and tries afresh on the next call', async () => {
    const { server, client } = setup();
    server.script(networkError, networkError, networkError);
    const token = client.getAccessToken();
    const failed = expect(token).rejects.toMatchObject({ name: 'AnonymousClientError', error: 'network_error', status: undefined });
    await advance(2000);
    await failed;
    expect(server.calls).toHaveLength(3);
    expect(await client.getAccessToken()).toBe('at-1');
  });
});

describe('getAccessToken(): renewal', () => {
  it('reuses the access token until a minute before it expires, then renews with the session token', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    await advance((ACCESS_LIFETIME - 61) * 1000);
    expect(await client.getAccessToken()).toBe('at-1');
    expect(server.calls).toHaveLength(1);

    await advance(2000); // now inside the last minute
    expect(await client.getAccessToken()).toBe('at-2');
    expect(server.calls[1].form).toEqual({ client_id: 'shop-spa', session_token: 'st-1' });
    expect(server.calls[1].headers.get('idempotency-key')).toBeNull();
    expect(server.guests.size).toBe(1);
  });

  it('renews with the latest session token the server gave', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    await advance(ACCESS_LIFETIME * 1000);
    await client.getAccessToken();
    await advance(ACCESS_LIFETIME * 1000);
    await client.getAccessToken();
    expect(server.calls.map((c) => c.form.session_token)).toEqual([undefined, 'st-1', 'st-2']);
  });

  it('renews a short-lived token at three quarters of its life', async () => {
    const server = new FakeServer();
    const client = createAnonymousClient({ issuer: ISSUER, clientId: 'shop-spa', fetch: server.fetch });
    server.script(() => new Response(JSON.stringify({ access_token: 'short', expires_in: 40, session_token: 'st-x', session_expires_in: 100 }), { status: 200 }));
    await client.getAccessToken();
    await advance(29_000);
    expect(await client.getAccessToken()).toBe('short');
    await advance(2000);
    server.script(() => new Response(JSON.stringify({ access_token: 'next', expires_in: 40, session_token: 'st-y', session_expires_in: 60 }), { status: 200 }));
    expect(await client.getAccessToken()).toBe('next');
  });
});

describe('getAccessToken(): single flight', () => {
  it('makes one creation request for fifty concurrent callers, and all get its token', async () => {
    const { server, client } = setup();
    const tokens = await Promise.all(Array.from({ length: 50 }, () => client.getAccessToken()));
    expect(new Set(tokens)).toEqual(new Set(['at-1']));
    expect(server.calls).toHaveLength(1);
  });

  it('makes one renewal request for fifty concurrent callers', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    await advance(ACCESS_LIFETIME * 1000);
    const tokens = await Promise.all(Array.from({ length: 50 }, () => client.getAccessToken()));
    expect(new Set(tokens)).toEqual(new Set(['at-2']));
    expect(server.calls).toHaveLength(2);
  });

  it('rejects every waiting caller when the flight fails, and starts a new flight on the next call', async () => {
    const { server, client } = setup();
    server.script(() => new Response(JSON.stringify({ error: 'invalid_client', error_description: 'Unknown client' }), { status: 401 }));
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => client.getAccessToken()));
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
    expect(server.calls).toHaveLength(1);
    expect(await client.getAccessToken()).toBe('at-1');
  });
});
