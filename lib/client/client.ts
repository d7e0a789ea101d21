import { resolveOptions, type AnonymousClientOptions } from './options';
import { guestRecord, guestStore, type GuestRecord } from './guest-record';
import { endpointRequest, type EndpointBody } from './endpoint-request';
import { randomHex } from './random';
import { emit, guestEndReason, type GuestChangeListener, type GuestChangeReason } from './guest-events';
import { exclusive, webLocks } from './exclusive';
import { authorizedFetch } from './authorized-fetch';
import { withTransferTicket } from './login-url';
import { AnonymousClientError } from './errors';

/**
 * A single-use ticket that names the guest at a login reached through a redirect (≤ 30 s).
 *
 * @example
 * ```ts
 * const ticket: TransferTicket | undefined = await client.transferTicket();
 * if (ticket) form.elements.namedItem('transfer_ticket').value = ticket.transfer_ticket;
 * ```
 */
export interface TransferTicket {
  transfer_ticket: string;
  /** Seconds. */
  expires_in: number;
}

/**
 * The guest of one browser, app or process. Made by {@link createAnonymousClient}.
 *
 * @example
 * ```ts
 * async function loadCart(client: AnonymousClient) {
 *   return (await client.fetch('https://api.shop.example/cart')).json();
 * }
 * ```
 */
export interface AnonymousClient {
  /** An access token for the guest: creates the guest on first use, renews before expiry; one request for any number of callers. */
  getAccessToken(): Promise<string>;
  /** `fetch` with the guest's bearer token; renews and retries once on `401 invalid_token`; honours `Retry-After` on 429/503. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** Token mode: the session token, for a login request's `anonymous_session_token`; undefined with no guest, or in cookie mode. */
  sessionToken(): Promise<string | undefined>;
  /** A fresh single-use transfer ticket for the guest; undefined when there is no guest to carry into the login. */
  transferTicket(): Promise<TransferTicket | undefined>;
  /** `url` with a fresh `transfer_ticket` query parameter (unchanged when there is no guest), for logins through a redirect. */
  loginUrl(url: string | URL): Promise<string>;
  /** Ends the guest on the server (`POST /anonymous/logout`) and forgets it here, even if the server could not be reached. */
  logout(): Promise<void>;
  /** Calls `listener` whenever the guest ends (expired, revoked, transferred, invalid, logout); returns the unsubscribe function. */
  onGuestChange(listener: GuestChangeListener): () => void;
}

/**
 * The client for `express-anonymous-session`'s `POST /anonymous/token`: a stable guest for a browser, a React
 * Native app or a Node process, with fresh tokens, and carried into the login.
 *
 * @example
 * ```ts
 * import { createAnonymousClient } from 'express-anonymous-session/client';
 *
 * const guest = createAnonymousClient({ issuer: 'https://shop.example', clientId: 'shop-spa', storage: 'localStorage' });
 * guest.onGuestChange(({ reason }) => console.info('new guest after', reason));
 * const cart = await (await guest.fetch('https://api.shop.example/cart')).json();
 * location.assign(await guest.loginUrl('https://shop.example/login'));
 * ```
 */
export function createAnonymousClient(options: AnonymousClientOptions): AnonymousClient {
  const o = resolveOptions(options);
  const { cookie, tokenEndpoint, params } = o;
  const { read, write, forget } = guestStore(o.storage, o.storageKey);
  const post = endpointRequest(o);
  const listeners = new Set<GuestChangeListener>();
  // Memory storage is this client's alone: no other tab to take turns with.
  const shared = options.storage && options.storage !== 'memory';
  const { queue, locked } = exclusive(`express-anonymous-session:${o.storageKey}`, shared ? webLocks() : undefined);
  const serially = <T>(task: () => Promise<T>) => queue(() => locked(task));
  let flight: Promise<GuestRecord> | undefined;

  const fresh = (guest: GuestRecord | undefined, rejected?: string): boolean =>
    !!guest && guest.access_token !== rejected && Date.now() < guest.renew_at;

  async function end(reason: GuestChangeReason, error?: AnonymousClientError): Promise<undefined> {
    await forget();
    emit(listeners, { reason, error });
    return undefined;
  }

  /** Posts to the token endpoint as the stored guest; an answer that says the guest is gone forgets it (undefined). */
  async function asGuest(guest: GuestRecord | undefined, form: Record<string, string>): Promise<EndpointBody | undefined> {
    try {
      return await post(tokenEndpoint, cookie ? form : { ...form, session_token: guest!.session_token! });
    } catch (err) {
      const reason = cookie ? undefined : guestEndReason(err, !!guest!.handed_out);
      if (!reason) throw err;
      return end(reason, err as AnonymousClientError);
    }
  }

  /** Renews the stored guest, or starts over when it has ended; runs under the lock, reading the storage afresh. */
  async function obtain(rejected?: string): Promise<GuestRecord> {
    const stored = await read();
    if (fresh(stored, rejected)) return stored!; // another tab, or an earlier flight, renewed already
    // An expired session is the server's to say (session_expired): this device's clock may be wrong.
    const renewed = stored?.session_token !== undefined && (await asGuest(stored, params));
    // Creation (in cookie mode: the cookie's guest). The Idempotency-Key, 128 random bits, lives only for this
    // request's own retries: a retry after a lost response gets the same guest, never a second one.
    const body = renewed || (await post(tokenEndpoint, params, randomHex(16)));
    return write(guestRecord(body, renewed || cookie ? stored : undefined, cookie));
  }

  /** The stored guest if fresh, else a renewed one: one flight for every concurrent caller, queued in call order. */
  function flightFor(rejected?: string): Promise<GuestRecord> {
    return (flight ??= queue(async () => {
      const stored = await read();
      return fresh(stored, rejected) ? stored! : locked(() => obtain(rejected));
    }).finally(() => (flight = undefined)));
  }

  async function ensure(rejected?: string): Promise<GuestRecord> {
    const guest = await flightFor(rejected);
    // A flight already under way may have been for an older token; one more, at most.
    return fresh(guest, rejected) ? guest : flightFor(rejected);
  }

  /** Marks the guest as lent to a login: a later `invalid_grant` then reads as its transfer. */
  const handOut = (guest: GuestRecord) => write({ ...guest, handed_out: 1 });

  const transferTicket = () =>
    serially(async (): Promise<TransferTicket | undefined> => {
      const stored = await read();
      const ticket = { client_id: params.client_id, requested_token_type: 'transfer_ticket' };
      const body = (cookie || stored?.session_token) && (await asGuest(stored, ticket));
      if (!body) return undefined;
      const { transfer_ticket, expires_in } = body;
      if (typeof transfer_ticket !== 'string' || typeof expires_in !== 'number') throw new AnonymousClientError('invalid_response', undefined, 200);
      if (stored) await handOut(stored);
      return { transfer_ticket, expires_in };
    });

  return {
    getAccessToken: async () => (await ensure()).access_token,
    fetch: authorizedFetch(o.fetch, ensure),
    sessionToken: () =>
      serially(async () => {
        const stored = await read();
        return cookie || !stored?.session_token ? undefined : (await handOut(stored)).session_token;
      }),
    transferTicket,
    loginUrl: async (url) => {
      const ticket = await transferTicket();
      return ticket ? withTransferTicket(String(url), ticket.transfer_ticket) : String(url);
    },
    logout: () =>
      serially(async () => {
        const stored = await read();
        try {
          if (cookie || stored?.session_token) await post(o.logoutEndpoint, cookie ? {} : { session_token: stored!.session_token! });
        } finally {
          if (cookie || stored) await end('logout');
        }
      }),
    onGuestChange: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
