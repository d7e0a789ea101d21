import type { Request } from 'express';
import type { RegisteredMetadata } from '../session/metadata';
import type { DroppedValue } from './drops';

export type TransferReason = 'login' | 'signup';

/** Where the transferred guest came from: a ticket, a session token, a guest kept for an `ask` login, or the cookie. */
export type GuestSource = 'ticket' | 'session_token' | 'pending' | 'cookie';

/** The guest as handed to the merge hook: a snapshot, taken under the once-only claim. */
export interface AnonymousSnapshot<M = RegisteredMetadata> {
  userId: string;
  sessionId: string;
  /** Epoch ms. */
  createdAt: number;
  expiresAt: number;
  metadata: M;
}

export interface TransferContext<M = RegisteredMetadata> {
  anonymous: AnonymousSnapshot<M>;
  /**
   * The authenticated user, as the login strategy produced it: possibly read before another transfer into the same
   * account finished. Read the account again inside the hook (the account lease is held) and merge into that.
   */
  user: Express.User;
  reason: TransferReason;
  req: Request;
  /**
   * The same on every attempt to move this guest into this user: a retry after a crash or a lapsed lease, a retried
   * login. Write it with the merge, in the same transaction (a unique constraint, a `SET NX` inside the write's
   * script), and skip a transfer id you already applied: then a retry never merges twice.
   */
  transferId: string;
  /**
   * Fencing value of this attempt: larger than that of every earlier transfer into this account (it increases with
   * every account lease). Store it with the account and refuse a write that carries a smaller one: that attempt lost
   * its lease, and another merge may have written since.
   */
  fence: number;
  /**
   * Aborted once the library no longer holds the leases for this attempt (a renewal failed for a whole lease, or
   * `transfer.hookTimeout` passed). Stop before writing; whatever is written after carries a stale `fence`.
   */
  signal: AbortSignal;
}

/**
 * Merges the guest into the user and returns the merged user (it becomes `req.user`). It runs holding the account's
 * lease: no other transfer into this account runs meanwhile, on any process. Throwing leaves the guest intact.
 */
export type OnTransfer<M = RegisteredMetadata> = (context: TransferContext<M>) => Express.User | Promise<Express.User>;

/** What a transfer did. Every outcome with a guest carries its `transferId`. */
export type TransferOutcome<M = RegisteredMetadata> =
  /**
   * The guest merged into `user`; the anonymous session is now `transferred`. `dropped` lists what the merge
   * policies could not use (empty when nothing was left out).
   */
  | { status: 'merged'; user: Express.User; anonymous: AnonymousSnapshot<M>; transferId: string; fence: number; dropped: DroppedValue[] }
  /** Transferred earlier (a retry, or another login won): nothing merged again. */
  | { status: 'already_transferred'; userId: string; at: number; sameUser: boolean; transferId: string }
  /** Another login is transferring this guest right now (into `userId`), and did not finish while this one waited. */
  | { status: 'conflict'; userId: string; transferId: string }
  /**
   * The merge hook threw (or outlived `transfer.hookTimeout`): the guest is intact and transfers at the next login.
   * `cleanupError`: giving the claim back failed too; it then lapses after `transfer.lease`.
   */
  | { status: 'failed'; error: unknown; cleanupError?: unknown; transferId: string }
  /** Another transfer into the same account held its lease for all of `transfer.accountWait`: the guest is intact. */
  | { status: 'busy'; userId: string; transferId: string }
  /** `mode: 'ask'`: nothing merged yet; the guest is kept with the login session until `transferTo` or `declineTransfer`. */
  | { status: 'deferred'; anonymous: AnonymousSnapshot<M>; transferId: string }
  /** Nothing to transfer: no guest on the request, or it expired or was revoked. */
  | { status: 'no_session' };

export type TransferPreview<M = RegisteredMetadata> =
  | { status: 'ready'; anonymous: AnonymousSnapshot<M>; transferId: string; source: GuestSource }
  | { status: 'already_transferred'; userId: string; at: number; sameUser: boolean }
  | { status: 'no_session' };

export interface TransferEvent {
  reason: TransferReason;
  /** The guest's anonymous user id; empty when the store did not say (no guest, or it had already gone). */
  anonymousUserId: string;
  /** Empty when the request named no guest. */
  sessionId: string;
  userId: string;
  outcome: TransferOutcome['status'];
  /** Absent only for `no_session`. */
  transferId?: string;
  /** The attempt's fence, once it held the account lease. */
  fence?: number;
  source?: GuestSource;
  error?: unknown;
  cleanupError?: unknown;
  /** `merged`: what the merge policies left out. */
  dropped?: DroppedValue[];
}

/** Event names: `transfer` (merged), `transfer:conflict` (also `already_transferred`), `transfer:failed`, `transfer:busy`, and `transfer:outcome` for every outcome. */
export type TransferEventName = 'transfer' | 'transfer:conflict' | 'transfer:failed' | 'transfer:busy' | 'transfer:outcome';

export interface TransferOptions {
  /**
   * Seconds a claim (on the guest) and a lease (on the account) last without renewal: a crashed process frees them
   * after this. While the hook runs both are renewed every third of it. Default 30.
   */
  lease?: number;
  /** Seconds a login waits for another transfer into the same account to finish; then `busy`. Default 5. */
  accountWait?: number;
  /** Seconds the hook may run; then its leases are no longer renewed, `signal` aborts and the outcome is `failed`. Default 60. */
  hookTimeout?: number;
  /** Seconds the anonymous-id-to-user link stays queryable (`findTransfer`). Default 90 days. */
  linkRetention?: number;
  /** Seconds a transfer ticket lives. Default 30 (the maximum). */
  ticketLifetime?: number;
  /** The user's id. Default `user.id`. */
  getUserId?: (user: Express.User) => string;
}
