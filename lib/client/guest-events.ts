import { AnonymousClientError } from './errors';

/**
 * Why the guest this client held is gone: its session `expired`, was `revoked` or `transferred` (a login took it),
 * its session token was `invalid` (keys changed, another client's token), or the app called `logout()`.
 *
 * @example
 * ```ts
 * const silent: GuestChangeReason[] = ['transferred', 'logout']; // the app caused these itself
 * ```
 */
export type GuestChangeReason = 'expired' | 'revoked' | 'transferred' | 'invalid' | 'logout';

/**
 * What an `onGuestChange` listener receives. The client has already forgotten the guest.
 *
 * @example
 * ```ts
 * client.onGuestChange((event: GuestChangeEvent) => analytics.track('guest_ended', { reason: event.reason, error: event.error?.error }));
 * ```
 */
export interface GuestChangeEvent {
  reason: GuestChangeReason;
  /** The server's answer that ended the guest; undefined for `logout` and for a session past its own expiry. */
  error?: AnonymousClientError;
}

/**
 * An `onGuestChange` listener; it runs in a microtask of its own.
 *
 * @example
 * ```ts
 * const resetCart: GuestChangeListener = ({ reason }) => { if (reason !== 'logout') cart.clear(); };
 * const off = client.onGuestChange(resetCart);
 * ```
 */
export type GuestChangeListener = (event: GuestChangeEvent) => void;

/**
 * The reason a failed renewal means the guest is gone for good, or undefined for a failure worth reporting instead
 * (network, configuration). The server says `revoked` or `transferred` in `anonymous_session_state` (older servers
 * only in `error_description`); any other `invalid_grant` after the session token or a ticket went to a login is
 * that login's transfer.
 */
export function guestEndReason(err: unknown, handedOut: boolean): GuestChangeReason | undefined {
  if (!(err instanceof AnonymousClientError) || err.status !== 400) return undefined;
  if (err.error === 'session_expired') return 'expired';
  if (err.error === 'invalid_session_token') return 'invalid';
  if (err.error !== 'invalid_grant') return undefined;
  // The member comes first, so it wins over the description.
  const said = /(revoked|transferred)/.exec(`${err.anonymous_session_state} ${err.error_description}`)?.[1] as GuestChangeReason | undefined;
  return said ?? (handedOut ? 'transferred' : 'invalid');
}

/**
 * Calls each listener in a microtask of its own: the client's work never waits for a listener, and one that throws
 * stops nothing (its error is reported as uncaught, as an event listener's would be).
 */
export function emit(listeners: Set<GuestChangeListener>, event: GuestChangeEvent): void {
  listeners.forEach((listener) => queueMicrotask(() => listener(event)));
}
