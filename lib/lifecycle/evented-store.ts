import type { AnonymousStore } from '../store/types';
import type { AnonymousSessionRecord, GuestSession } from '../session/record';
import { guestSessionOf } from '../session/record';
import type { Logger } from '../config/logger';
import type { LifecycleEmitter } from './events';
import { guestsOf } from '../store/lifecycle';
import { logError } from '../config/logger';

/**
 * The store every service of an instance uses: the app's store, plus lifecycle events and data minimisation on the
 * state changes every entry point shares. A stored guest emits `created`; a revoked or transferred one has its
 * metadata deleted at once (not left for its TTL) and emits `revoked` / `transferred`. Everything else, including
 * methods a store adds later, passes through untouched.
 */
export function withLifecycle(store: AnonymousStore, events: LifecycleEmitter, logger: Logger): AnonymousStore {
  const lifecycle = guestsOf(store);

  async function ended(sessionId: string): Promise<void> {
    let rest: AnonymousSessionRecord | undefined;
    try {
      rest = lifecycle ? await lifecycle.scrub(sessionId) : await store.get(sessionId);
    } catch (err) {
      // The state change stands; the metadata goes when the reaper deletes the record.
      return logError(logger, 'an ended session could not be scrubbed of its metadata', err);
    }
    if (rest?.state === 'revoked') {
      events.emit('revoked', { type: 'revoked', sessionId, anonymousUserId: rest.userId, at: rest.revokedAt });
    } else if (rest?.state === 'transferred') {
      events.emit('transferred', { type: 'transferred', sessionId, anonymousUserId: rest.userId, userId: rest.transferredTo, at: rest.transferredAt });
    }
  }

  const overrides: Partial<AnonymousStore> = {
    async create(record) {
      const stored = await store.create(record);
      if (stored && events.has('created')) {
        events.emit('created', { type: 'created', sessionId: record.sessionId, anonymousUserId: record.userId, at: record.createdAt, record: guestSessionOf(record) as GuestSession & { state: 'active' } });
      }
      return stored;
    },
    async revoke(sessionId, at) {
      const revoked = await store.revoke(sessionId, at);
      if (revoked) await ended(sessionId);
      return revoked;
    },
    async completeClaim(...args: Parameters<AnonymousStore['completeClaim']>) {
      const completed = await store.completeClaim(...args);
      if (completed) await ended(args[0]);
      return completed;
    },
  };

  // Bound once per method and reused while the store's method stays the same one (a `bind` per access was a
  // closure per store call on the hot path); a method replaced on the store later (a test spy) is bound anew.
  const bound = new Map<PropertyKey, { method: (...args: unknown[]) => unknown; bound: unknown }>();
  return new Proxy(store, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof AnonymousStore];
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const known = bound.get(property);
      if (known?.method === value) return known.bound;
      const method = value as (...args: unknown[]) => unknown;
      const fresh = method.bind(target);
      bound.set(property, { method, bound: fresh });
      return fresh;
    },
  });
}
