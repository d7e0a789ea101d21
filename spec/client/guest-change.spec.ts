import { createAnonymousClient, AnonymousClientError, type GuestChangeEvent } from '../../lib/client';
import { ACCESS_LIFETIME, FakeServer, ISSUER, json } from './support/fake-server';
import { FakeWebStorage, advance, setGlobal, useFakeClock } from './support/environment';

function setup() {
  const server = new FakeServer();
  const storage = new FakeWebStorage();
  const client = createAnonymousClient({ issuer: ISSUER, clientId: 'shop-spa', fetch: server.fetch, storage });
  const events: GuestChangeEvent[] = [];
  client.onGuestChange((event) => events.push(event));
  return { server, client, storage, events };
}

/** Has a guest, then lets its access token run out so that the next call renews. */
async function guestDueForRenewal(s: ReturnType<typeof setup>): Promise<void> {
  await s.client.getAccessToken();
  await advance(ACCESS_LIFETIME * 1000);
}

beforeEach(() => useFakeClock());
afterEach(() => jest.useRealTimers());

describe('guestchange: the guest ended, the client starts over', () => {
  it.each([
    ['expired', 'session_expired'],
    ['revoked', 'invalid_grant'],
    ['transferred', 'invalid_grant'],
  ] as const)('%s (%s): forgets the guest, tells the listeners, and the same call gets a new guest', async (state, error) => {
    const s = setup();
    await guestDueForRenewal(s);
    s.server.end(state);
    expect(await s.client.getAccessToken()).toBe('at-2');
    expect(s.events).toEqual([{ reason: state, error: expect.any(AnonymousClientError) }]);
    expect(s.events[0].error).toMatchObject({ error, status: 400, anonymous_session_state: state === 'expired' ? undefined : state });
    expect(s.server.guests.size).toBe(2);
    expect(s.server.guestOf('at-2')).toBe('anon|2');
    expect(JSON.parse(s.storage.getItem('anonymous_session')!).session_token).toBe('st-2');
  });

  it('reads a session token the server refuses (invalid_session_token) as invalid', async () => {
    const s = setup();
    await guestDueForRenewal(s);
    s.storage.setItem('anonymous_session', JSON.stringify({ ...JSON.parse(s.storage.getItem('anonymous_session')!), session_token: 'forged' }));
    expect(await s.client.getAccessToken()).toBe('at-2');
    expect(s.events.map((e) => e.reason)).toEqual(['invalid']);
  });

  it.each([
    ['revoked', 'after the session token went to a login', true],
    ['transferred', 'with nothing handed out', false],
  ] as const)('reads anonymous_session_state (%s) over the description and over what was handed out (%s)', async (state, _, handOut) => {
    const s = setup();
    await guestDueForRenewal(s);
    if (handOut) await s.client.sessionToken();
    s.server.script(() => json(400, { error: 'invalid_grant', error_description: 'The anonymous session is no longer active', anonymous_session_state: state }));
    await s.client.getAccessToken();
    expect(s.events.map((e) => e.reason)).toEqual([state]);
  });

  it('reads an older server that says revoked or transferred only in the description', async () => {
    const s = setup();
    await guestDueForRenewal(s);
    await s.client.sessionToken();
    s.server.script(() => json(400, { error: 'invalid_grant', error_description: 'The anonymous session was revoked' }));
    await s.client.getAccessToken();
    expect(s.events.map((e) => e.reason)).toEqual(['revoked']);
    expect(s.events[0].error?.anonymous_session_state).toBeUndefined();
  });

  it('reads an invalid_grant after the session token went to a login as transferred, whatever the description', async () => {
    const s = setup();
    await guestDueForRenewal(s);
    expect(await s.client.sessionToken()).toBe('st-1');
    s.server.script(() => json(400, { error: 'invalid_grant', error_description: 'The anonymous session is no longer active' }));
    await s.client.getAccessToken();
    expect(s.events.map((e) => e.reason)).toEqual(['transferred']);
  });

  it('reads that same invalid_grant as invalid when nothing was handed out', async () => {
    const s = setup();
    await guestDueForRenewal(s);
    s.server.script(() => json(400, { error: 'invalid_grant', error_description: 'The session token was issued to another client' }));
    await s.client.getAccessToken();
    expect(s.events.map((e) => e.reason)).toEqual(['invalid']);
  });

  it('keeps the guest and throws on failures that do not end it (invalid_client, outage)', async () => {
    const s = setup();
    await guestDueForRenewal(s);
    s.server.script(() => json(401, { error: 'invalid_client', error_description: 'Unknown client' }));
    await expect(s.client.getAccessToken()).rejects.toMatchObject({ error: 'invalid_client', status: 401 });
    expect(s.events).toEqual([]);
    expect(JSON.parse(s.storage.getItem('anonymous_session')!).session_token).toBe('st-1');
    s.server.script(() => json(503, { error: 'temporarily_unavailable' }, { 'retry-after': '60' }));
    await expect(s.client.getAccessToken()).rejects.toMatchObject({ error: 'temporarily_unavailable', status: 503 });
    expect(s.events).toEqual([]);
    expect(await s.client.getAccessToken()).toBe('at-2'); // the same guest, renewed
    expect(s.server.guests.size).toBe(1);
  });

  it('calls each listener in a microtask of its own: one that throws stops neither the others nor the client', async () => {
    const s = setup();
    const thrown: unknown[] = [];
    // Capture what a listener throws instead of letting it reach the test runner as an uncaught error.
    const restore = setGlobal('queueMicrotask', (task: () => void) =>
      Promise.resolve().then(() => {
        try {
          task();
        } catch (err) {
          thrown.push(err);
        }
      }),
    );
    try {
      const heard: string[] = [];
      s.client.onGuestChange(() => {
        throw new Error('listener bug');
      });
      s.client.onGuestChange((e) => heard.push(e.reason));
      const off = s.client.onGuestChange((e) => heard.push(`unsubscribed ${e.reason}`));
      off();
      await guestDueForRenewal(s);
      s.server.end('expired');
      expect(await s.client.getAccessToken()).toBe('at-2');
      expect(heard).toEqual(['expired']);
      expect(thrown).toEqual([new Error('listener bug')]);
    } finally {
      restore();
    }
  });
});
