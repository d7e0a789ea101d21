import type { AnonymousStore } from '../store/types';
import type { ActiveRecord } from './record';
import type { SessionService } from './session-service';
import { ConfigurationError } from '../errors';

/**
 * Session-token rotation with reuse detection (RFC 9700 section 4.14.2, for the refresh tokens of public clients).
 * A session token is a long-lived credential that a public client keeps (an SPA, a mobile app): each renewal
 * replaces it with the next generation, and a replaced token that is used again means two parties hold it, so the
 * session is revoked and both must start over.
 *
 * The generation lives on the session record (one counter, no per-token state) and moves by an atomic
 * compare-and-set in the store. The token just replaced stays good for `reuseGrace` after its replacement: a retry
 * after a lost response, or two tabs that renewed at once, get the current generation instead of a revocation (and
 * hold the same generation, so whichever renews next makes the other's stale).
 */
export type Admission =
  /** The token may act; `record` carries the generation the answer's new session token must have. */
  | { ok: true; record: ActiveRecord }
  /** A replaced token was used again: the session is revoked now. */
  | { ok: false; reason: 'reused' }
  /** The session ended meanwhile (revoked, transferred, expired). */
  | { ok: false; reason: 'ended' }
  /** A generation the store never reached (it lost a rotation, e.g. a failover before replication): refused. */
  | { ok: false; reason: 'unknown' };

export class TokenRotation {
  constructor(
    private readonly store: AnonymousStore,
    private readonly sessions: SessionService,
    private readonly reuseGraceMs: number,
    private readonly now: () => number,
  ) {
    if (typeof store.rotateTokenGeneration !== 'function') {
      throw new ConfigurationError('store', 'must implement rotateTokenGeneration (AnonymousStore: session tokens rotate on renewal), or set sessionTokenRotation: false');
    }
  }

  /** Renewal: the current token moves the session to the next generation; the one just replaced gets the current. */
  async renew(record: ActiveRecord, presented: number): Promise<Admission> {
    // The compare-and-set is the authority, not `record`: a store's read cache may hold a generation another process
    // has moved on, and a current token judged against it would look replaced (or from the future).
    const now = this.now();
    const result = await this.store.rotateTokenGeneration!(record.sessionId, presented, now);
    if (result.status === 'rotated') return { ok: true, record: { ...record, tokenGeneration: result.generation, tokenRotatedAt: now } };
    if (result.status !== 'stale') return { ok: false, reason: 'ended' };
    return this.judge(record, presented, result.generation, result.rotatedAt, now);
  }

  /** Any other use of a session token (a transfer at login, a transfer ticket): current, or just replaced. */
  async admit(record: ActiveRecord, presented: number): Promise<Admission> {
    // Always the store's own answer (nothing matches a negative generation, so nothing is written): `record` may come
    // from a read cache that has not heard of the last rotations yet, and a replaced token matching it would pass.
    // One store call, on logins and tickets only.
    const now = this.now();
    const result = await this.store.rotateTokenGeneration!(record.sessionId, PROBE, now);
    if (result.status !== 'stale') return { ok: false, reason: 'ended' };
    if (presented === result.generation) return { ok: true, record: { ...record, tokenGeneration: result.generation, tokenRotatedAt: result.rotatedAt } };
    return this.judge(record, presented, result.generation, result.rotatedAt, now);
  }

  /** `current` and `rotatedAt` as the store answered them, never from a possibly cached record. */
  private async judge(record: ActiveRecord, presented: number, current: number, rotatedAt: number, now: number): Promise<Admission> {
    if (presented === current - 1 && now - rotatedAt < this.reuseGraceMs) {
      return { ok: true, record: { ...record, tokenGeneration: current, tokenRotatedAt: rotatedAt } };
    }
    // Ahead of the store: only a rotation the store lost (a failover before replication). Refused, not revoked:
    // nobody replayed anything.
    if (presented > current) return { ok: false, reason: 'unknown' };
    await this.sessions.revoke(record.sessionId);
    return { ok: false, reason: 'reused' };
  }
}

/** A generation no session has: `rotateTokenGeneration` with it answers the current one and writes nothing. */
const PROBE = -1;

export function generationOf(record: { tokenGeneration?: number }): number {
  return record.tokenGeneration ?? 0;
}
