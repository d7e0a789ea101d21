import type { GuestSession } from '../session/record';
import type { Logger } from '../config/logger';
import { logError } from '../config/logger';

/** A guest's session was stored (the one creation path: page load, token endpoint, `createSession`). */
export interface GuestCreatedEvent {
  type: 'created';
  sessionId: string;
  anonymousUserId: string;
  /** Epoch ms. */
  at: number;
  /** The session as stored, metadata parsed. */
  record: GuestSession & { state: 'active' };
}

/** A session was revoked (logout, RFC 7009, `req.anonymous.revoke()`); its metadata is already deleted. */
export interface GuestRevokedEvent {
  type: 'revoked';
  sessionId: string;
  anonymousUserId: string;
  at: number;
}

/** A session was transferred into a real user; its metadata is already deleted (the merge hook had it). */
export interface GuestTransferredEvent {
  type: 'transferred';
  sessionId: string;
  anonymousUserId: string;
  userId: string;
  at: number;
}

/**
 * A session's record left the store by time: idle or absolute expiry, whatever its state (`record.state` says whether
 * it had ended before). Carries the final record so the app can delete what it keyed by the guest id. Delivered at
 * least once: the record is deleted only after every listener resolved; a listener that throws gets it again later.
 */
export interface GuestExpiredEvent {
  type: 'expired';
  sessionId: string;
  anonymousUserId: string;
  /** The session's expiry (epoch ms); the event comes at most about ten minutes later while a reaper runs. */
  at: number;
  /** The final record, metadata parsed; `state` says whether it had been revoked or transferred. */
  record: GuestSession;
  /** 1 on the first delivery, then 2, 3… after listeners threw. */
  attempt: number;
}

export interface LifecycleEventMap {
  created: GuestCreatedEvent;
  revoked: GuestRevokedEvent;
  transferred: GuestTransferredEvent;
  expired: GuestExpiredEvent;
}

export type LifecycleEventName = keyof LifecycleEventMap;

/** `expired` listeners may return a promise: the record is deleted once it resolves. */
export type LifecycleListener<E extends LifecycleEventName> = (event: LifecycleEventMap[E]) => void | Promise<void>;

export const LIFECYCLE_EVENTS: readonly LifecycleEventName[] = ['created', 'revoked', 'transferred', 'expired'];

type Listeners = { [E in LifecycleEventName]: Array<LifecycleListener<E>> };

/**
 * The lifecycle listeners of one instance. `created`, `revoked` and `transferred` are told right after the store
 * confirmed the change, in the process that made it, and are not awaited (a throw or rejection is logged);
 * `expired` is delivered by the reaper, which awaits every listener.
 */
export class LifecycleEmitter {
  private readonly listeners: Listeners = { created: [], revoked: [], transferred: [], expired: [] };

  constructor(private readonly logger: Logger) {}

  on<E extends LifecycleEventName>(name: E, listener: LifecycleListener<E>): void {
    (this.listeners[name] as Array<LifecycleListener<E>>).push(listener);
  }

  off<E extends LifecycleEventName>(name: E, listener: LifecycleListener<E>): void {
    const list = this.listeners[name] as Array<LifecycleListener<E>>;
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  }

  has(name: LifecycleEventName): boolean {
    return this.listeners[name].length > 0;
  }

  emit<E extends 'created' | 'revoked' | 'transferred'>(name: E, event: LifecycleEventMap[E]): void {
    for (const listener of this.listeners[name] as Array<LifecycleListener<E>>) {
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch((err: unknown) => logError(this.logger, `a '${name}' listener failed`, err));
      } catch (err) {
        logError(this.logger, `a '${name}' listener failed`, err);
      }
    }
  }

  /** Runs every `expired` listener and waits for all of them; rejects with the first failure. */
  async deliver(event: GuestExpiredEvent): Promise<void> {
    const listeners = this.listeners.expired;
    if (listeners.length === 1) return listeners[0](event); // the usual case: no settling of one promise per listener
    const results = await Promise.allSettled(listeners.map(async (listener) => listener(event)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
