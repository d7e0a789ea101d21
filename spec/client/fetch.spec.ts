import { createAnonymousClient, type GuestChangeEvent } from '../../lib/client';
import { API_URL, FakeServer, ISSUER, TOKEN_URL, json } from './support/fake-server';
import { advance, useFakeClock } from './support/environment';

function setup() {
  const server = new FakeServer();
  const client = createAnonymousClient({ issuer: ISSUER, clientId: 'shop-spa', fetch: server.fetch });
  const events: GuestChangeEvent[] = [];
  client.onGuestChange((event) => events.push(event));
  return { server, client, events };
}

const unavailable = (retryAfter?: string) => () => json(503, { error: 'temporarily_unavailable' }, retryAfter === undefined ? {} : { 'retry-after': retryAfter });
const tooMany = (retryAfter: string) => () => json(429, { error: 'rate_limited' }, { 'retry-after': retryAfter });

beforeEach(() => useFakeClock());
afterEach(() => jest.useRealTimers());

describe('fetch(): the bearer token', () => {
  it("adds Authorization: Bearer and keeps the caller's method, headers and body", async () => {
    const { server, client } = setup();
    const res = await client.fetch(API_URL, { method: 'PUT', headers: { 'content-type': 'application/json', 'x-trace': '1' }, body: '{"sku":"tea"}' });
    expect(res.status).toBe(200);
    const api = server.callsTo(API_URL)[0];
    expect(api.method).toBe('PUT');
    expect(api.headers.get('authorization')).toBe('Bearer at-1');
    expect(api.headers.get('x-trace')).toBe('1');
    expect(api.headers.get('content-type')).toBe('application/json');
  });

  it('takes a Request as input, with its own headers', async () => {
    const { server, client } = setup();
    const res = await client.fetch(new Request(API_URL, { headers: { 'x-trace': '2' } }));
    expect(res.status).toBe(200);
    expect(server.callsTo(API_URL)[0].headers.get('x-trace')).toBe('2');
    expect(server.callsTo(API_URL)[0].headers.get('authorization')).toBe('Bearer at-1');
  });
});

describe('fetch(): 401 invalid_token', () => {
  it('renews once and retries once with the new token', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    server.script(() => json(401, {}, { 'www-authenticate': 'Bearer realm="anonymous", error="invalid_token"' }));
    const res = await client.fetch(API_URL);
    expect(res.status).toBe(200);
    expect(server.callsTo(API_URL).map((c) => c.headers.get('authorization'))).toEqual(['Bearer at-1', 'Bearer at-2']);
    expect(server.callsTo(TOKEN_URL).map((c) => c.form.session_token)).toEqual([undefined, 'st-1']);
  });

  it('returns the second 401 without renewing again: never loops', async () => {
    const { server, client } = setup();
    const invalid = () => json(401, {}, { 'www-authenticate': 'Bearer error="invalid_token"' });
    await client.getAccessToken();
    server.script(invalid);
    server.script((call, serve) => serve(call)); // the renewal
    server.script(invalid);
    const res = await client.fetch(API_URL);
    expect(res.status).toBe(401);
    expect(server.callsTo(API_URL)).toHaveLength(2);
    expect(server.callsTo(TOKEN_URL)).toHaveLength(2);
  });

  it('does not renew on a 401 that does not say invalid_token (no token expected, another scheme)', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    server.script(() => json(401, {}, { 'www-authenticate': 'Basic realm="admin"' }));
    expect((await client.fetch(API_URL)).status).toBe(401);
    expect(server.calls).toHaveLength(2);
  });

  it('returns the 401 and re-sends nothing when the renewal finds the guest ended: the request was the old guest’s', async () => {
    const { server, client, events } = setup();
    await client.getAccessToken();
    server.end('revoked'); // e.g. revoked by an admin; the API checks revocation
    const res = await client.fetch(API_URL, { method: 'POST', body: 'add tea' });
    expect(res.status).toBe(401);
    expect(server.callsTo(API_URL)).toHaveLength(1);
    expect(events).toEqual([expect.objectContaining({ reason: 'revoked' })]);
    // The client started over: the next call is a new guest.
    expect((await client.fetch(API_URL)).status).toBe(200);
    expect(server.guests.size).toBe(2);
  });

  it('shares one renewal among concurrent requests that all got 401', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    const invalid = () => json(401, {}, { 'www-authenticate': 'Bearer error="invalid_token"' });
    server.script(invalid, invalid, invalid);
    const results = await Promise.all([client.fetch(API_URL), client.fetch(API_URL), client.fetch(API_URL)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(server.callsTo(TOKEN_URL)).toHaveLength(2); // the creation and one renewal
  });
});

describe('fetch(): 503 and 429', () => {
  it('waits as long as Retry-After says, then retries', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    server.script(unavailable('5'));
    const res = client.fetch(API_URL);
    await advance(4999);
    expect(server.callsTo(API_URL)).toHaveLength(1);
    await advance(1);
    expect((await res).status).toBe(200);
    expect(server.callsTo(API_URL)).toHaveLength(2);
  });

  it('understands Retry-After as an HTTP date', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    server.script(() => json(429, {}, { 'retry-after': new Date(Date.now() + 3000).toUTCString() }));
    const res = client.fetch(API_URL);
    await advance(2999);
    expect(server.callsTo(API_URL)).toHaveLength(1);
    await advance(1);
    expect((await res).status).toBe(200);
  });

  it('returns a 429 at once when Retry-After is longer than the 10 s cap', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    server.script(tooMany('60'));
    const res = await client.fetch(API_URL);
    expect(res.status).toBe(429);
    expect(server.callsTo(API_URL)).toHaveLength(1);
  });

  it('stops after 3 attempts in all, returning the last answer', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    server.script(unavailable('1'), unavailable('1'), unavailable('1'), unavailable('1'));
    const res = client.fetch(API_URL);
    await advance(10_000);
    expect((await res).status).toBe(503);
    expect(server.callsTo(API_URL)).toHaveLength(3);
  });

  it('backs off without Retry-After, within the cap', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    server.script(unavailable());
    const res = client.fetch(API_URL);
    await advance(500); // first backoff: 250–500 ms
    expect((await res).status).toBe(200);
    expect(server.callsTo(API_URL)).toHaveLength(2);
  });

  it('does not retry other statuses', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    server.script(() => json(500, {}), () => json(502, {}));
    expect((await client.fetch(API_URL)).status).toBe(500);
    expect((await client.fetch(API_URL)).status).toBe(502);
    expect(server.callsTo(API_URL)).toHaveLength(2);
  });

  it('stops waiting when the caller aborts', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    server.script(unavailable('5'));
    const abort = new AbortController();
    const res = client.fetch(API_URL, { signal: abort.signal });
    const rejected = expect(res).rejects.toThrow('stop');
    await advance(1000);
    abort.abort(new Error('stop'));
    await rejected;
    await advance(10_000);
    expect(server.callsTo(API_URL)).toHaveLength(1);
  });

  it('does not retry a streamed body, which cannot be sent twice', async () => {
    const { server, client } = setup();
    await client.getAccessToken();
    server.script(unavailable('1'));
    const body = new ReadableStream({ start: (c) => c.close() });
    const res = await client.fetch(API_URL, { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(503);
    expect(server.callsTo(API_URL)).toHaveLength(1);
  });
});

describe('token requests: 503 and 429', () => {
  it('honour Retry-After on the token endpoint too', async () => {
    const { server, client } = setup();
    server.script(unavailable('2'));
    const token = client.getAccessToken();
    await advance(1999);
    expect(server.calls).toHaveLength(1);
    await advance(1);
    expect(await token).toBe('at-1');
  });

  it('throw rate_limited with retryAfter when the wait is over the cap, without a second request', async () => {
    const { server, client } = setup();
    server.script(() => json(429, { error: 'rate_limited', error_description: 'Too many new guests' }, { 'retry-after': '60' }));
    await expect(client.getAccessToken()).rejects.toMatchObject({ error: 'rate_limited', status: 429, retryAfter: 60, error_description: 'Too many new guests' });
    expect(server.calls).toHaveLength(1);
  });

  it('throw temporarily_unavailable after 3 attempts', async () => {
    const { server, client } = setup();
    server.script(unavailable('1'), unavailable('1'), unavailable('1'));
    const token = client.getAccessToken();
    const failed = expect(token).rejects.toMatchObject({ error: 'temporarily_unavailable', status: 503, retryAfter: 1 });
    await advance(3000);
    await failed;
    expect(server.calls).toHaveLength(3);
  });
});
