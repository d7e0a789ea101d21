import { AnonymousClientError } from './errors';
import { randomHex } from './random';
import type { ClientStorage } from './storage';

/**
 * The one record the client stores, as JSON under `storageKey`. Times are epoch milliseconds of this device's clock.
 * In cookie mode there is no session token: the cookie is the guest's credential.
 */
export interface GuestRecord {
  /** The bearer token for the app's APIs (short-lived: 15 minutes by default). */
  access_token: string;
  /** When the client renews: a minute (at most a quarter of its lifetime) before the access token expires. */
  renew_at: number;
  /** Token mode: resumes the guest and renews the access token (for the session's absolute lifetime, 30 days by default). */
  session_token?: string;
  /** A random tag this client gave the guest when it got it, to tell one guest from the next. */
  guest_tag: string;
  /** 1 once the session token or a transfer ticket went to a login: a later `invalid_grant` means "transferred". */
  handed_out?: 1;
}

/** The parts of a token response the client keeps. */
interface TokenResponse {
  access_token?: unknown;
  expires_in?: unknown;
  session_token?: unknown;
}

/** The record a token response makes, for the guest of `previous` (a renewal) or a new one. */
export function guestRecord(body: TokenResponse, previous: GuestRecord | undefined, cookie: boolean): GuestRecord {
  const now = Date.now();
  const { access_token, expires_in, session_token } = body;
  if (typeof access_token !== 'string' || !(typeof expires_in === 'number' && expires_in > 0) || (!cookie && typeof session_token !== 'string')) {
    throw new AnonymousClientError('invalid_response', undefined, 200);
  }
  const lifetime = expires_in * 1000;
  return {
    access_token,
    renew_at: now + lifetime - Math.min(60_000, lifetime / 4),
    session_token: cookie ? undefined : (session_token as string),
    guest_tag: previous?.guest_tag ?? randomHex(8),
    handed_out: previous?.handed_out,
  };
}

/** Reads, writes and forgets the record; a record that is not ours (corrupt, older shape) reads as none. */
export function guestStore(storage: ClientStorage, key: string) {
  return {
    async read(): Promise<GuestRecord | undefined> {
      const text = await storage.getItem(key);
      let record: GuestRecord | undefined;
      try {
        record = JSON.parse(text!);
      } catch {
        // not JSON: not ours
      }
      return typeof record?.guest_tag === 'string' ? record : undefined;
    },
    async write(record: GuestRecord): Promise<GuestRecord> {
      await storage.setItem(key, JSON.stringify(record));
      return record;
    },
    async forget(): Promise<void> {
      await storage.removeItem(key);
    },
  };
}
