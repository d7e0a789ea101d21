import { randomBytes, randomUUID } from 'node:crypto';
import type { Metadata, RegisteredMetadata } from './metadata';

/** `active`, or ended: `transferred` to a real user at login/sign-up, or `revoked` (logout, admin). */
export type SessionState = 'active' | 'transferred' | 'revoked';

/** What every anonymous session record holds. Times are epoch milliseconds. */
interface RecordBase {
  sessionId: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  /** When the session ends unless used again: `lastSeenAt + idle`, capped at `absoluteExpiresAt`. */
  expiresAt: number;
  /** When the session ends whatever happens: `createdAt + absolute lifetime`. */
  absoluteExpiresAt: number;
  /** Metadata JSON, already checked against the limits (kept serialized: stores copy one string). */
  metadata: string;
  /** Incremented by every metadata update; the basis of optimistic concurrency. */
  version: number;
  /** Session-token rotation: the generation of the newest session token a renewal issued (absent: 0). */
  tokenGeneration?: number;
  /** When the session moved to `tokenGeneration` (epoch ms; absent: never renewed). */
  tokenRotatedAt?: number;
}

export interface ActiveRecord extends RecordBase {
  state: 'active';
}

export interface TransferredRecord extends RecordBase {
  state: 'transferred';
  /** The real user the guest went to, and when. */
  transferredTo: string;
  transferredAt: number;
}

export interface RevokedRecord extends RecordBase {
  state: 'revoked';
  revokedAt: number;
}

/** The server-side anonymous session: the single source of truth. */
export type AnonymousSessionRecord = ActiveRecord | TransferredRecord | RevokedRecord;

export interface Lifetimes {
  /** Idle timeout in seconds. */
  idle: number;
  /** Absolute lifetime in seconds. */
  absolute: number;
}

/** 256 bits from the CSPRNG, base64url: the session id is never guessable. */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

export function newUserId(prefix: string): string {
  return `${prefix}${randomUUID()}`;
}

export function newRecord(input: { userId: string; metadata: string; now: number; lifetimes: Lifetimes }): ActiveRecord {
  const absoluteExpiresAt = input.now + input.lifetimes.absolute * 1000;
  return {
    sessionId: newSessionId(),
    userId: input.userId,
    createdAt: input.now,
    lastSeenAt: input.now,
    expiresAt: Math.min(input.now + input.lifetimes.idle * 1000, absoluteExpiresAt),
    absoluteExpiresAt,
    metadata: input.metadata,
    state: 'active',
    version: 0,
  };
}

/** The expiry after activity at `now`: the idle window slides, the absolute lifetime does not. */
export function slidingExpiry(record: AnonymousSessionRecord, now: number, lifetimes: Lifetimes): number {
  return Math.min(now + lifetimes.idle * 1000, record.absoluteExpiresAt);
}

/** The one answer to "may this session act now": active and not expired. */
export function isActive(record: AnonymousSessionRecord | undefined, now: number): record is ActiveRecord {
  return record !== undefined && record.state === 'active' && record.expiresAt > now;
}

/** Whether the record is past its expiry (whatever its state): stores drop it, readers treat it as unknown. */
export function isExpired(record: AnonymousSessionRecord, now: number): boolean {
  return record.expiresAt <= now;
}

/** A guest as the API returns it (`anon.getSession()`, `createSession()`, `updateSession()`): metadata parsed. */
export interface AnonymousSessionInfo<M = Metadata> {
  sessionId: string;
  /** The anonymous user id, `anon|…`. */
  userId: string;
  state: SessionState;
  /** Epoch milliseconds. */
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  absoluteExpiresAt: number;
  metadata: M;
}

/** The public view of a stored record. */
export function infoOf<M>(record: AnonymousSessionRecord): AnonymousSessionInfo<M> {
  return {
    sessionId: record.sessionId,
    userId: record.userId,
    state: record.state,
    createdAt: record.createdAt,
    lastSeenAt: record.lastSeenAt,
    expiresAt: record.expiresAt,
    absoluteExpiresAt: record.absoluteExpiresAt,
    metadata: JSON.parse(record.metadata) as M,
  };
}

/**
 * A stored session in any state, as `anon.admin.find()` and the `created` / `expired` events hand it out: metadata
 * parsed, and how it ended when it did.
 */
export type GuestSession<M = RegisteredMetadata> =
  | (AnonymousSessionInfo<M> & { state: 'active' })
  | (AnonymousSessionInfo<M> & { state: 'transferred'; transferredTo: string; transferredAt: number })
  | (AnonymousSessionInfo<M> & { state: 'revoked'; revokedAt: number });

/** The public view of a stored record in any state. */
export function guestSessionOf<M = RegisteredMetadata>(record: AnonymousSessionRecord): GuestSession<M> {
  const info = infoOf<M>(record);
  if (record.state === 'transferred') return { ...info, state: 'transferred', transferredTo: record.transferredTo, transferredAt: record.transferredAt };
  if (record.state === 'revoked') return { ...info, state: 'revoked', revokedAt: record.revokedAt };
  return { ...info, state: 'active' };
}
