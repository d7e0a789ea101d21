/**
 * A stand-in for the library's token endpoint, logout endpoint and one bearer API route, behind a fake `fetch`:
 * the same wire format and errors as lib/router (see the README's table), with its state in plain maps so a test
 * can end a guest, and one-shot scripts so a test can lose a response, delay one or answer 503.
 */
export const ISSUER = 'https://shop.test';
export const TOKEN_URL = `${ISSUER}/anonymous/token`;
export const LOGOUT_URL = `${ISSUER}/anonymous/logout`;
export const API_URL = 'https://api.shop.test/cart';
export const ACCESS_LIFETIME = 900;

export interface Call {
  url: string;
  method: string;
  headers: Headers;
  form: Record<string, string>;
  credentials: RequestInit['credentials'];
  signal: AbortSignal | undefined;
}

type GuestState = 'active' | 'expired' | 'revoked' | 'transferred';
interface Guest {
  id: string;
  state: GuestState;
}

/** Handles one call instead of the server; `serve` is the server's own handling, for scripts that wrap it. */
export type Script = (call: Call, serve: (call: Call) => Promise<Response>) => Response | Promise<Response>;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

const oauthError = (error: string, description: string, status = 400) => json(status, { error, error_description: description });

export class FakeServer {
  readonly calls: Call[] = [];
  readonly guests = new Map<string, Guest>();
  /** The guest of the fake browser cookie: what cookie-mode requests (credentials same-origin) act as. */
  cookieGuest: string | undefined;
  private readonly sessionTokens = new Map<string, string>();
  private readonly accessTokens = new Map<string, { guest: string; expiresAt: number }>();
  private readonly idempotencyKeys = new Map<string, string>();
  private readonly scripts: Script[] = [];
  private serial = 0;

  /** The fake `fetch` a client is given. */
  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const body = typeof init.body === 'string' ? init.body : '';
    const call: Call = {
      url,
      method: init.method ?? (input instanceof Request ? input.method : 'GET'),
      headers: new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined)),
      form: Object.fromEntries(new URLSearchParams(body)),
      credentials: init.credentials,
      signal: init.signal ?? undefined,
    };
    this.calls.push(call);
    const script = this.scripts.shift();
    return script ? script(call, (c) => this.serve(c)) : this.serve(call);
  };

  /** The next call is handled by `script` (one script per call, in order). */
  script(...scripts: Script[]): void {
    this.scripts.push(...scripts);
  }

  callsTo(url: string): Call[] {
    return this.calls.filter((c) => c.url === url);
  }

  /** Ends the guest that holds `accessOrSessionToken` (either kind), as the server would after expiry, logout or login. */
  end(state: Exclude<GuestState, 'active'>, guestId = [...this.guests.keys()].at(-1)!): void {
    this.guests.get(guestId)!.state = state;
  }

  guestOf(accessToken: string): string | undefined {
    return this.accessTokens.get(accessToken)?.guest;
  }

  private async serve(call: Call): Promise<Response> {
    if (call.url === TOKEN_URL && call.method === 'POST') return this.token(call);
    if (call.url === LOGOUT_URL && call.method === 'POST') return this.logout(call);
    if (call.url.startsWith(API_URL)) return this.api(call);
    return json(404, { error: 'not_found' });
  }

  private token(call: Call): Response {
    const { session_token: sessionToken, requested_token_type: type } = call.form;
    const cookie = call.credentials === 'same-origin' ? this.cookieGuest : undefined;
    let guest: Guest | undefined;
    if (sessionToken !== undefined) {
      const id = this.sessionTokens.get(sessionToken);
      if (id === undefined) return oauthError('invalid_session_token', 'The session token is invalid');
      guest = this.guests.get(id)!;
      if (guest.state === 'expired') return oauthError('session_expired', 'The anonymous session expired');
      if (guest.state !== 'active') {
        return json(400, { error: 'invalid_grant', error_description: `The anonymous session was ${guest.state}`, anonymous_session_state: guest.state });
      }
    } else if (cookie !== undefined && this.guests.get(cookie)!.state === 'active') {
      guest = this.guests.get(cookie)!;
    } else if (type !== undefined) {
      return oauthError('invalid_request', 'A transfer ticket needs an existing guest: send session_token');
    } else {
      guest = this.create(call.headers.get('idempotency-key'));
    }
    if (type === 'transfer_ticket') return json(200, { transfer_ticket: `ticket-${++this.serial}`, expires_in: 30, token_type: 'N_A' });
    const n = ++this.serial;
    this.accessTokens.set(`at-${n}`, { guest: guest.id, expiresAt: Date.now() + ACCESS_LIFETIME * 1000 });
    this.sessionTokens.set(`st-${n}`, guest.id);
    return json(200, { token_type: 'Bearer', access_token: `at-${n}`, expires_in: ACCESS_LIFETIME, scope: '', session_token: `st-${n}`, session_expires_in: 2592000 });
  }

  private create(key: string | null): Guest {
    const earlier = key === null ? undefined : this.idempotencyKeys.get(key);
    if (earlier !== undefined) return this.guests.get(earlier)!;
    const guest: Guest = { id: `anon|${this.guests.size + 1}`, state: 'active' };
    this.guests.set(guest.id, guest);
    if (key !== null) this.idempotencyKeys.set(key, guest.id);
    return guest;
  }

  private logout(call: Call): Response {
    const id = call.form.session_token !== undefined ? this.sessionTokens.get(call.form.session_token) : call.credentials === 'same-origin' ? this.cookieGuest : undefined;
    if (call.form.session_token !== undefined && id === undefined) return oauthError('invalid_session_token', 'The session token is invalid');
    const guest = id === undefined ? undefined : this.guests.get(id);
    if (guest?.state === 'active') guest.state = 'revoked';
    return new Response(null, { status: 204 });
  }

  private api(call: Call): Response {
    const token = /^Bearer (.+)$/.exec(call.headers.get('authorization') ?? '')?.[1];
    if (token === undefined) return json(401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer realm="anonymous"' });
    const access = this.accessTokens.get(token);
    if (!access || access.expiresAt <= Date.now() || this.guests.get(access.guest)!.state !== 'active') {
      return json(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer realm="anonymous", error="invalid_token"' });
    }
    return json(200, { guest: access.guest });
  }
}

/** A network failure, as fetch reports one. */
export const networkError = (): never => {
  throw new TypeError('fetch failed');
};
