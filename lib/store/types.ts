import type { AnonymousSessionRecord, ActiveRecord } from '../session/record';

/** Outcome of a compare-and-set metadata write. */
export type CasResult =
  | { status: 'ok'; version: number }
  /** Another writer got there first: re-read and retry. */
  | { status: 'conflict' }
  /** A transfer holds the session right now: retry shortly. */
  | { status: 'busy' }
  | { status: 'missing' }
  | { status: 'ended' }
  /** This update id was applied before (a retry after a lost reply): nothing written again. */
  | { status: 'duplicate'; version: number };

/** Outcome of moving a session's token generation on (session-token rotation). */
export type RotationResult =
  | { status: 'rotated'; generation: number }
  /** The session is not at the expected generation: where it is, and since when (epoch ms; 0 for never). */
  | { status: 'stale'; generation: number; rotatedAt: number }
  | { status: 'missing' }
  | { status: 'ended' };

/** Outcome of trying to claim a session for transfer. */
export type ClaimResult =
  /** This caller holds the claim until `leaseUntil`; `record` is the session as it was claimed. */
  | { status: 'claimed'; record: ActiveRecord }
  /** Another transfer holds a live claim, into `userId`. */
  | { status: 'pending'; userId: string }
  | { status: 'transferred'; userId: string; at: number }
  | { status: 'revoked' }
  | { status: 'missing' };

export interface ClaimRequest {
  /** Unique per attempt: a retry by the same user is a different attempt. */
  token: string;
  /** The real user the session would be transferred to. */
  userId: string;
  /** Epoch ms after which the claim lapses if never completed (a crashed process frees the session). */
  leaseUntil: number;
  now: number;
}

/** Where a transferred anonymous user went: kept after the session ends, so apps can re-key their data. */
export interface TransferLink {
  anonymousUserId: string;
  sessionId: string;
  userId: string;
  /** Epoch ms. */
  at: number;
}

/** How many replicas acknowledged a write, of how many were asked for. */
export interface ReplicationAck {
  acknowledged: number;
  required: number;
}

/** A fixed-window counter's state after one hit. */
export interface HitCount {
  /** Hits in the current window, this one included. */
  count: number;
  /** Epoch ms when the window ends. */
  resetAt: number;
}

/**
 * Where anonymous session records live. Every method is atomic on its own; implementations must never
 * hang (a backend outage rejects with `StoreUnavailableError`) and must expire records at `expiresAt`
 * without scanning on a request path.
 *
 * Implementations: `MemoryStore` (one process, the embedded default) and `RedisStore` (any number of processes).
 */
export interface AnonymousStore {
  /** Seconds clients are told to wait (`Retry-After`) while this store is unavailable. Default 5. */
  readonly retryAfter?: number;
  /** Writes a new record. Resolves `false` (and writes nothing) if the session id already exists. */
  create(record: ActiveRecord): Promise<boolean>;
  /** The record, including ended (`transferred`/`revoked`) ones until they expire; `undefined` if unknown. */
  get(sessionId: string): Promise<AnonymousSessionRecord | undefined>;
  /** Records activity on an active session. Resolves `false` if the session is not active. */
  touch(sessionId: string, lastSeenAt: number, expiresAt: number): Promise<boolean>;
  /**
   * Writes `metadata` only if the record is active, unclaimed at `now`, and still at `expectedVersion`. With an
   * `updateId` already among the last 16 applied, writes nothing and answers `duplicate`.
   */
  compareAndSetMetadata(sessionId: string, expectedVersion: number, metadata: string, now: number, updateId?: string): Promise<CasResult>;
  /** Ends an active session. Resolves `false` if it was not active. */
  revoke(sessionId: string, at: number): Promise<boolean>;
  /** Takes the once-only transfer claim on an active session. */
  claim(sessionId: string, request: ClaimRequest): Promise<ClaimResult>;
  /** Marks a claimed session `transferred` to the claimant's user. Resolves `false` if the claim was lost. */
  completeClaim(sessionId: string, token: string, at: number): Promise<boolean>;
  /** Gives up a claim (the merge failed): the session stays active and can be transferred later. */
  releaseClaim(sessionId: string, token: string): Promise<void>;
  /**
   * Optional: waits until the completed transfer of `sessionId` is on the store's replicas (`RedisStore`'s
   * `waitForReplicas`), so a failover cannot undo it; undefined when the store does not wait. May reject instead of
   * answering a shortfall (`onShortfall: 'fail'`).
   */
  awaitReplication?(sessionId: string): Promise<ReplicationAck | undefined>;
  /** Deletes the record outright. */
  destroy(sessionId: string): Promise<void>;
  /**
   * Session-token rotation: moves an active session from token generation `expected` to `expected + 1` and notes
   * `now` as `tokenRotatedAt`; answers `stale` with the current generation when it is not at `expected` (a negative
   * `expected` never matches: the library uses it to read the generation from the store itself, past any cache). Required
   * unless `sessionTokenRotation: false` (a store written before it existed is refused at start-up, naming it).
   */
  rotateTokenGeneration?(sessionId: string, expected: number, now: number): Promise<RotationResult>;
  /** Stores a single-use transfer ticket (by its hash) for a session until `expiresAt`. */
  putTicket(ticketId: string, sessionId: string, expiresAt: number): Promise<void>;
  /** Returns the ticket's session id and deletes the ticket, atomically; undefined if unknown, used or expired. */
  takeTicket(ticketId: string, now: number): Promise<string | undefined>;
  /** The ticket's session id without spending it (a transfer preview); undefined if unknown, used or expired. */
  peekTicket(ticketId: string, now: number): Promise<string | undefined>;
  /**
   * Stores `value` under `key` until `expiresAt` unless the key exists; answers the value already there, or
   * undefined when this call stored it. Used for idempotent creation: `value` is the session id the key reserves,
   * then a space and an opaque fingerprint (`reservedSession(value)`); a store with guest lifecycle notes the key
   * under that session, so erasing the guest deletes it.
   */
  putIfAbsent(key: string, value: string, expiresAt: number, now: number): Promise<string | undefined>;
  /** The value stored by `putIfAbsent` under `key`, if it has not expired. */
  getValue(key: string, now: number): Promise<string | undefined>;
  /** Counts one hit on `key` in a fixed window of `windowMs` starting at its first hit (creation limits). */
  countHit(key: string, windowMs: number, now: number): Promise<HitCount>;
  /** Records where an anonymous user was transferred, kept until `expiresAt`. */
  saveTransferLink(link: TransferLink, expiresAt: number): Promise<void>;
  getTransferLink(anonymousUserId: string): Promise<TransferLink | undefined>;

  // Transfers into one account (issue #13): a lease per real user, so merges into one account run one at a time
  // across processes, and renewals that keep a slow merge's claim and lease alive.

  /** Extends a claim this caller still holds (same `token`, session still active) to `leaseUntil`. Resolves `false` if the claim is gone. */
  renewClaim(sessionId: string, token: string, leaseUntil: number, now: number): Promise<boolean>;
  /**
   * Takes the lease on the real user `userId` for `request.ttl` ms unless another holder has it. On success the
   * answer carries a fencing value larger than that of every earlier lease on this user, also after the lease's
   * own record expired or the store restarted (it starts from the clock in ms).
   */
  acquireAccountLease(userId: string, request: AccountLeaseRequest): Promise<AccountLeaseResult>;
  /** Extends the lease to `ttl` ms from now if `token` still holds it. Resolves `false` if it lapsed or another holder has it. */
  renewAccountLease(userId: string, token: string, ttl: number, now: number): Promise<boolean>;
  /** Gives the lease up if `token` holds it; otherwise does nothing. */
  releaseAccountLease(userId: string, token: string): Promise<void>;
}

/** A request for the lease on one real user's account. */
export interface AccountLeaseRequest {
  /** Unique per transfer attempt; only its holder renews or releases the lease. */
  token: string;
  /** Milliseconds the lease lasts unless renewed; a crashed holder frees it after this. */
  ttl: number;
  now: number;
}

/** Outcome of asking for an account's lease. */
export type AccountLeaseResult =
  /** The caller holds the lease; `fence` increases with every lease on this account. */
  | { status: 'acquired'; fence: number }
  /** Another transfer into this account holds it. */
  | { status: 'held' };

/** The session id a `putIfAbsent` value reserves: everything before the first space. */
export function reservedSession(value: string): string {
  const space = value.indexOf(' ');
  return space < 0 ? value : value.slice(0, space);
}
