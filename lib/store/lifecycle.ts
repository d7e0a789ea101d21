import { hash } from 'node:crypto';
import type { AnonymousSessionRecord } from '../session/record';
import type { TransferLink } from './types';

/**
 * What a store offers beyond `AnonymousStore`, as its `guests` property, for data rights (find, export, erase, count)
 * and the lifecycle (expired guests handed to the app before they are deleted). `MemoryStore` and `RedisStore` have
 * it; a store without it still works, but `anon.admin` refuses and no reaper runs.
 */
export interface GuestLifecycleStore {
  /** Every stored session of an anonymous user: active, ended, and expired ones the reaper has not handled yet. */
  findSessions(anonymousUserId: string): Promise<AnonymousSessionRecord[]>;
  /** Deletes every session, ticket, idempotency entry and the transfer link of an anonymous user. */
  eraseGuest(anonymousUserId: string): Promise<ErasedGuest>;
  /** Deletes the transfer links that point to a real user; answers the anonymous ids they came from. */
  eraseTransferLinksOf(userId: string): Promise<string[]>;
  /** One page of guests in index order; `cursor` is undefined on the last page. */
  listGuests(cursor: string | undefined, limit: number): Promise<GuestPage>;
  /** Guests and sessions from the index: cheap (one read per index bucket). */
  countGuests(): Promise<GuestCount>;
  /** Every stored session counted by state, by walking the records themselves (SCAN on each Redis node). */
  countSessions(now: number): Promise<SessionCount>;
  /** Deletes what an ended (revoked or transferred) session no longer needs; answers what is left. */
  scrub(sessionId: string): Promise<AnonymousSessionRecord | undefined>;
  /** The buckets of the expiry index; the reaper claims batches from one bucket at a time. */
  readonly expiryBuckets: readonly string[];
  /**
   * Takes a batch of due index entries of `bucket` under a lease of `leaseMs` (another claimant of the bucket waits
   * until it is completed or lapses) and answers the expired records among them; `undefined` when nothing is due or
   * the bucket is leased. Entries of a lapsed lease are handed out again: delivery is at least once.
   */
  claimExpired(bucket: string, now: number, limit: number, leaseMs: number): Promise<ExpiredClaim | undefined>;
  /** Extends a claim's lease; false if it lapsed and another claimant took over. */
  renewExpiredClaim(claim: ExpiredClaim, leaseMs: number): Promise<boolean>;
  /**
   * Ends a claim: deletes the delivered records (unless they came back to life meanwhile), keeps the failed ones for
   * `retryAt`, re-files live sessions at their current expiry, and releases the lease. False if the lease was lost.
   */
  completeExpired(claim: ExpiredClaim, outcome: ExpiredOutcome, now: number): Promise<boolean>;
  /** How many records the reaper would hand out now, changing nothing (a dry run). */
  countExpired(now: number): Promise<number>;
  /** True once the app closed the store (or its client) for good: the in-app reaper then stops by itself. */
  readonly closed?: boolean;
}

/** What `eraseGuest` deleted. */
export interface ErasedGuest {
  anonymousUserId: string;
  /** Ids of the sessions deleted. */
  sessionIds: string[];
  /** Transfer tickets deleted (they live 30 s at most). */
  tickets: number;
  /** Creation idempotency entries deleted (they name the guest for an hour). */
  idempotencyKeys: number;
  /** The transfer link deleted, if the guest had been transferred. */
  transferLink: TransferLink | undefined;
}

export interface GuestSessions {
  anonymousUserId: string;
  sessions: AnonymousSessionRecord[];
}

export interface GuestPage {
  guests: GuestSessions[];
  /** Pass back to get the next page; undefined when there is none. */
  cursor: string | undefined;
}

export interface GuestCount {
  /** Anonymous users in the index. */
  guests: number;
  /** Their sessions. */
  sessions: number;
}

export interface SessionCount {
  /** Session records stored, whatever their state. */
  sessions: number;
  active: number;
  revoked: number;
  transferred: number;
  /** Past their expiry, waiting for the reaper (any state). */
  expired: number;
}

/** An expired record handed to the reaper, and how many deliveries of it failed before. */
export interface ExpiredCandidate {
  record: AnonymousSessionRecord;
  attempts: number;
}

/** A batch the reaper holds under a lease. Stores keep their own bookkeeping behind it. */
export interface ExpiredClaim {
  readonly bucket: string;
  readonly expired: readonly ExpiredCandidate[];
}

export interface ExpiredOutcome {
  /** Session ids whose `expired` listeners all resolved: delete them. */
  delivered: readonly string[];
  /** Session ids whose listeners threw: try again at `retryAt` (epoch ms). */
  failed: ReadonlyArray<{ sessionId: string; retryAt: number }>;
}

/** The store's lifecycle operations, its `guests` property, if it has one (both embedded stores do). */
export function guestsOf(store: object): GuestLifecycleStore | undefined {
  const guests = (store as { guests?: Partial<GuestLifecycleStore> }).guests;
  const complete = guests && typeof guests.findSessions === 'function' && typeof guests.claimExpired === 'function' && typeof guests.eraseGuest === 'function';
  return complete ? (guests as GuestLifecycleStore) : undefined;
}

/** Width of one expiry-index slot: an expired guest is handed out at most this long after its expiry (plus a tick). */
export const EXPIRY_SLOT_MS = 10 * 60 * 1000;

/** Number of index buckets in Redis. Fixed: changing it would orphan the index (see `reindex`). */
export const INDEX_BUCKETS = 64;

/** 48 bits of SHA-256 of the anonymous user id, as hex: the index key of a guest (collisions are resolved by reading). */
export function userHash(anonymousUserId: string): string {
  return hash('sha256', anonymousUserId, 'hex').slice(0, 12);
}

/** The index bucket of a user hash. */
export function bucketOf(hash: string): number {
  return parseInt(hash.slice(0, 2), 16) % INDEX_BUCKETS;
}

/** The expiry slot an instant falls in: slot `n` holds expiries in `((n - 1) × width, n × width]`, due at `n × width`. */
export function slotOf(at: number): number {
  return Math.ceil(at / EXPIRY_SLOT_MS);
}
