import type { FetchFunction } from './options';
import type { GuestRecord } from './guest-record';
import { retryDelay, sleep } from './retry';

/** RFC 6750 section 3: the challenge that says the access token itself was refused (expired, revoked, bad). */
const INVALID_TOKEN = /\bbearer\b.*\berror\s*=\s*"?invalid_token\b/i;

/** A fresh guest record; with `rejected`, one whose access token is not that one. */
type Ensure = (rejected?: string) => Promise<GuestRecord>;


/**
 * `fetch` with `Authorization: Bearer <access token>`. A `401` whose challenge says `invalid_token` renews once and
 * retries once, as the same guest only: if the guest ended meanwhile, the 401 is returned and nothing is re-sent
 * as the new guest. `429` and `503` are retried within the bounds, honouring `Retry-After`. Never loops.
 */
export function authorizedFetch(fetch: FetchFunction, ensure: Ensure) {
  return async function authorizedFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    let guest = await ensure();
    let renewed = false;
    // A stream given as init.body cannot be sent twice (a Request is cloned for each attempt).
    const again = typeof (init.body as ReadableStream | null | undefined)?.getReader !== 'function';
    for (let attempt = 1; ; attempt++) {
      // A Request's own headers, unless init has some (as fetch does); a Request is cloned so it can be sent again.
      const headers = new Headers(init.headers ?? (input as Request).headers);
      headers.set('authorization', `Bearer ${guest.access_token}`);
      const response = await fetch((input as Request).clone?.() ?? input, { ...init, headers });
      if (!again) return response;
      if (response.status === 401 && !renewed && INVALID_TOKEN.test(response.headers.get('www-authenticate') ?? '')) {
        renewed = true;
        const next = await ensure(guest.access_token);
        if (next.guest_tag !== guest.guest_tag) return response;
        guest = next;
        continue;
      }
      const wait = retryDelay(attempt, response);
      if (wait === undefined) return response;
      await sleep(wait, init.signal);
    }
  };
}
