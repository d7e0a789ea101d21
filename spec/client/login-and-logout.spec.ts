import { createAnonymousClient, type GuestChangeEvent } from '../../lib/client';
import { FakeServer, ISSUER, LOGOUT_URL, TOKEN_URL, json, networkError } from './support/fake-server';
import { FakeWebStorage, advance, useFakeClock } from './support/environment';

function setup() {
  const server = new FakeServer();
  const storage = new FakeWebStorage();
  const client = createAnonymousClient({ issuer: ISSUER, clientId: 'shop-spa', fetch: server.fetch, storage });
  const events: GuestChangeEvent[] = [];
  client.onGuestChange((event) => events.push(event));
  return { server, client, storage, events };
}

beforeEach(() => useFakeClock());
afterEach(() => jest.useRealTimers());

describe('transferTicket() and loginUrl()', () => {
  it('asks the token endpoint for a transfer ticket with the session token', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    expect(await client.transferTicket()).toEqual({ transfer_ticket: 'ticket-2', expires_in: 30 });
    expect(server.calls[1]).toMatchObject({ url: TOKEN_URL, form: { client_id: 'shop-spa', session_token: 'st-1', requested_token_type: 'transfer_ticket' } });
  });

  it.each([
    ['https://shop.test/login', 'https://shop.test/login?transfer_ticket=ticket-2'],
    ['/login?next=%2Fcart', '/login?next=%2Fcart&transfer_ticket=ticket-2'],
    ['/login#form', '/login?transfer_ticket=ticket-2#form'],
    ['/login?a=$&b=1#x?y#z', '/login?a=$&b=1&transfer_ticket=ticket-2#x?y#z'],
  ])('loginUrl(%s) adds a fresh ticket: %s', async (url, expected) => {
    const { client } = setup();
    await client.getAccessToken();
    expect(await client.loginUrl(url)).toBe(expected);
  });

  it('takes a URL object and gets a new ticket each time (tickets are single use)', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    expect(await client.loginUrl(new URL('https://shop.test/login'))).toBe('https://shop.test/login?transfer_ticket=ticket-2');
    expect(await client.loginUrl(new URL('https://shop.test/login'))).toBe('https://shop.test/login?transfer_ticket=ticket-3');
    expect(server.calls).toHaveLength(3);
  });

  it('has nothing to carry without a guest: no ticket, the URL unchanged, no request', async () => {
    const { server, client } = setup();
    expect(await client.transferTicket()).toBeUndefined();
    expect(await client.loginUrl('/login')).toBe('/login');
    expect(await client.sessionToken()).toBeUndefined();
    expect(server.calls).toHaveLength(0);
  });

  it('has no ticket for a guest that ended, and tells the listeners', async () => {
    const { server, client, events } = setup();
    await client.getAccessToken();
    server.end('expired');
    expect(await client.loginUrl('/login')).toBe('/login');
    expect(events.map((e) => e.reason)).toEqual(['expired']);
  });

  it('throws a typed error when the ticket response is not one', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    server.script(() => json(200, { transfer_ticket: 42 }));
    await expect(client.transferTicket()).rejects.toMatchObject({ name: 'AnonymousClientError', error: 'invalid_response' });
  });
});

describe('sessionToken()', () => {
  it('gives the session token for an API login body (anonymous_session_token)', async () => {
    const { client, storage } = setup();
    await client.getAccessToken();
    expect(await client.sessionToken()).toBe('st-1');
    expect(JSON.parse(storage.getItem('anonymous_session')!).handed_out).toBe(1);
  });
});

describe('logout()', () => {
  it('posts the session token to /anonymous/logout, forgets everything, and tells the listeners', async () => {
    const { server, client, storage, events } = setup();
    await client.getAccessToken();
    await client.logout();
    expect(server.calls[1]).toMatchObject({ url: LOGOUT_URL, method: 'POST', form: { session_token: 'st-1' }, credentials: 'omit' });
    expect(server.guests.get('anon|1')!.state).toBe('revoked');
    expect(storage.items.size).toBe(0);
    expect(events).toEqual([{ reason: 'logout', error: undefined }]);
    expect(await client.getAccessToken()).toBe('at-2');
    expect(server.guests.size).toBe(2);
  });

  it('forgets the guest even when the server cannot be reached, and says so', async () => {
    const { server, client, storage } = setup();
    await client.getAccessToken();
    server.script(networkError, networkError, networkError);
    const done = expect(client.logout()).rejects.toMatchObject({ error: 'network_error' });
    await advance(2000);
    await done;
    expect(storage.items.size).toBe(0);
  });

  it('waits for a creation under way, then logs that guest out', async () => {
    const { server, client } = setup();
    const token = client.getAccessToken();
    await client.logout();
    expect(await token).toBe('at-1');
    expect(server.calls.map((c) => c.url)).toEqual([TOKEN_URL, LOGOUT_URL]);
    expect(server.guests.get('anon|1')!.state).toBe('revoked');
  });

  it('sends nothing without a guest', async () => {
    const { server, client, events } = setup();
    await client.logout();
    expect(server.calls).toHaveLength(0);
    expect(events).toEqual([]);
  });
});

describe('cookie mode (same-origin pages)', () => {
  function cookieSetup() {
    const server = new FakeServer();
    server.cookieGuest = 'anon|cookie';
    server.guests.set('anon|cookie', { id: 'anon|cookie', state: 'active' });
    const client = createAnonymousClient({ tokenEndpoint: '/anonymous/token', clientId: 'shop-web', mode: 'cookie', fetch: (input, init) => server.fetch(`${ISSUER}${String(input)}`, init) });
    const events: GuestChangeEvent[] = [];
    client.onGuestChange((event) => events.push(event));
    return { server, client, events };
  }

  it("gets tokens for the cookie's guest: the cookie is sent, no session token goes out or is kept", async () => {
    const { server, client } = cookieSetup();
    expect(await client.getAccessToken()).toBe('at-1');
    expect(server.guestOf('at-1')).toBe('anon|cookie');
    expect(server.calls[0]).toMatchObject({ url: TOKEN_URL, credentials: 'same-origin', form: { client_id: 'shop-web' } });
    expect(await client.sessionToken()).toBeUndefined();
  });

  it('renews by asking again with the cookie', async () => {
    const { server, client } = cookieSetup();
    await client.getAccessToken();
    await advance(900_000);
    expect(await client.getAccessToken()).toBe('at-2');
    expect(server.calls[1]).toMatchObject({ credentials: 'same-origin', form: { client_id: 'shop-web' } });
    expect(server.calls[1].form.session_token).toBeUndefined();
  });

  it("asks for a ticket and logs out with the cookie alone (relative endpoints: logout is the token endpoint's sibling)", async () => {
    const { server, client, events } = cookieSetup();
    await client.getAccessToken();
    expect(await client.transferTicket()).toEqual({ transfer_ticket: 'ticket-2', expires_in: 30 });
    expect(server.calls[1].form).toEqual({ client_id: 'shop-web', requested_token_type: 'transfer_ticket' });
    await client.logout();
    expect(server.calls[2]).toMatchObject({ url: LOGOUT_URL, credentials: 'same-origin', form: {} });
    expect(server.guests.get('anon|cookie')!.state).toBe('revoked');
    expect(events.map((e) => e.reason)).toEqual(['logout']);
  });
});
