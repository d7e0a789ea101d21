import type { Request } from 'express';
import type { Metadata } from '../session/metadata';

export type TransferReason = 'login' | 'signup';

/** The guest as handed to the merge hook: a snapshot, taken under the once-only claim. */
export interface AnonymousSnapshot {
  userId: string;
  sessionId: string;
  /** Epoch ms. */
  createdAt: number;
  expiresAt: number;
  metadata: Metadata;
}

export interface TransferContext {
  anonymous: AnonymousSnapshot;
  /** The authenticated user, as the login strategy produced it. */
  user: Express.User;
  reason: TransferReason;
  req: Request;
}

/** Merges the guest into the user and returns the merged user (it becomes `req.user`). Throwing leaves the guest intact. */
export type OnTransfer = (context: TransferContext) => Express.User | Promise<Express.User>;

/** What a transfer did. */
export type TransferOutcome =
  /** The guest merged into `user`; the anonymous session is now `transferred`. */
  | { status: 'merged'; user: Express.User; anonymous: AnonymousSnapshot }
  /** Transferred earlier (a retry, or another login won): nothing merged again. */
  | { status: 'already_transferred'; userId: string; at: number; sameUser: boolean }
  /** Another login is transferring this guest into a different user right now. */
  | { status: 'conflict'; userId: string }
  /** The merge hook threw: the guest is intact and will transfer at the next login. */
  | { status: 'failed'; error: unknown }
  /** Nothing to transfer: no guest on the request, or it expired or was revoked. */
  | { status: 'no_session' };

export type TransferPreview =
  | { status: 'ready'; anonymous: AnonymousSnapshot }
  | { status: 'already_transferred'; userId: string; at: number; sameUser: boolean }
  | { status: 'no_session' };

export interface TransferEvent {
  reason: TransferReason;
  anonymousUserId: string;
  sessionId: string;
  userId: string;
  outcome: TransferOutcome['status'];
  error?: unknown;
}

export interface TransferOptions {
  /** Seconds a claim holds a guest while the merge runs; a crashed process frees it after this. Default 30. */
  lease?: number;
  /** Seconds the anonymous-id-to-user link stays queryable (`findTransfer`). Default 90 days. */
  linkRetention?: number;
  /** Seconds a transfer ticket lives. Default 30 (the maximum). */
  ticketLifetime?: number;
  /** The user's id. Default `user.id`. */
  getUserId?: (user: Express.User) => string;
}
