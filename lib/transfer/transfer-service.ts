import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Request } from 'express';
import type { TokenService } from '../tokens/token-service';
import type { ActiveRecord } from '../session/record';
import type { SessionBinding } from '../session/binding';
import type { AnonymousStore, TransferLink } from '../store/types';
import type { ResolvedTransferOptions } from './options';
import type { AnonymousSnapshot, TransferEvent, TransferOutcome, TransferPreview, TransferReason } from './types';
import { parseMetadata } from '../session/metadata';
import { isActive } from '../session/record';
import { MisconfiguredError } from '../errors';
import { findGuest, ticketId } from './source';
import { relogin, renewSessionId } from './session-renewal';

/** What the transfer needs from the rest of the library. */
export interface TransferDependencies {
  store: AnonymousStore;
  tokens: TokenService;
  binding: SessionBinding;
  clock: () => number;
}

const SAME_USER_WAIT_MS = 2000;

/** Exactly-once transfer of a guest into a real user: claim, merge, complete; or release and keep the guest. */
export class TransferService {
  readonly events = new EventEmitter();

  private readonly store: AnonymousStore;
  private readonly now: () => number;

  constructor(
    private readonly deps: TransferDependencies,
    private readonly options: ResolvedTransferOptions,
  ) {
    this.store = deps.store;
    this.now = deps.clock;
  }

  async transfer(req: Request, user: Express.User, reason: TransferReason): Promise<TransferOutcome> {
    const userId = this.userIdOf(user);
    const store = this.store;
    const guest = await findGuest(req, this.deps.tokens, store, this.now());
    if (!guest) return { status: 'no_session' };
    const token = randomUUID();
    // A concurrent attempt by the same user is waited for briefly; a stuck one (a crash, a lost reply) is not: its
    // lease lapses and the next login transfers the guest, so the request is not held for the whole lease.
    const deadline = this.now() + Math.min(this.options.lease * 1000, SAME_USER_WAIT_MS);

    for (;;) {
      const now = this.now();
      const claim = await store.claim(guest.sessionId, { token, userId, leaseUntil: now + this.options.lease * 1000, now });
      if (claim.status === 'missing' || claim.status === 'revoked') return { status: 'no_session' };
      if (claim.status === 'transferred') {
        return this.emitted(reason, guest.sessionId, undefined, userId, { status: 'already_transferred', userId: claim.userId, at: claim.at, sameUser: claim.userId === userId });
      }
      if (claim.status === 'pending') {
        if (claim.userId !== userId) return this.emitted(reason, guest.sessionId, undefined, userId, { status: 'conflict', userId: claim.userId });
        // The same user logging in twice at once: wait for the other attempt rather than merge twice.
        if (this.now() > deadline) return { status: 'conflict', userId: claim.userId };
        await new Promise((resolve) => setTimeout(resolve, 25));
        continue;
      }
      return this.merge(req, user, userId, reason, claim.record, token);
    }
  }

  private async merge(req: Request, user: Express.User, userId: string, reason: TransferReason, record: ActiveRecord, token: string): Promise<TransferOutcome> {
    const store = this.store;
    const anonymous = snapshot(record);
    let merged: Express.User;
    try {
      merged = this.options.onTransfer ? await this.options.onTransfer({ anonymous, user, reason, req }) : user;
      if (merged === undefined || merged === null) throw new MisconfiguredError('onTransfer must return the merged user');
    } catch (error) {
      await store.releaseClaim(record.sessionId, token);
      return this.emitted(reason, record.sessionId, record.userId, userId, { status: 'failed', error });
    }
    const at = this.now();
    if (!(await store.completeClaim(record.sessionId, token, at))) {
      // The lease lapsed and another login took over: report, do not claim success twice.
      const again = await store.get(record.sessionId);
      const winner = again?.state === 'transferred' ? again.transferredTo : userId;
      return this.emitted(reason, record.sessionId, record.userId, userId, { status: 'conflict', userId: winner });
    }
    const link: TransferLink = { anonymousUserId: record.userId, sessionId: record.sessionId, userId, at };
    await store.saveTransferLink(link, at + this.options.linkRetention * 1000);

    req.user = merged;
    if (req.anonymous?.sessionId === record.sessionId) this.deps.binding.unbind(req);
    await renewSessionId(req, this.deps.binding);
    await relogin(req, merged);
    return this.emitted(reason, record.sessionId, record.userId, userId, { status: 'merged', user: merged, anonymous });
  }

  /** What a transfer would merge, changing nothing (a ticket is not spent). */
  async preview(req: Request, user: Express.User): Promise<TransferPreview> {
    const userId = this.userIdOf(user);
    const guest = await findGuest(req, this.deps.tokens, this.store, this.now(), true);
    if (!guest) return { status: 'no_session' };
    const record = await this.store.get(guest.sessionId);
    if (record?.state === 'transferred' && record.expiresAt > this.now()) {
      return { status: 'already_transferred', userId: record.transferredTo, at: record.transferredAt, sameUser: record.transferredTo === userId };
    }
    if (!isActive(record, this.now())) return { status: 'no_session' };
    return { status: 'ready', anonymous: snapshot(record) };
  }

  findTransfer(anonymousUserId: string): Promise<TransferLink | undefined> {
    return this.store.getTransferLink(anonymousUserId);
  }

  /** A single-use ticket naming `sessionId`, for logins that pass through a redirect. */
  async mintTicket(sessionId: string): Promise<{ ticket: string; expiresIn: number }> {
    const ticket = randomBytes(32).toString('base64url');
    await this.store.putTicket(ticketId(ticket), sessionId, this.now() + this.options.ticketLifetime * 1000);
    return { ticket, expiresIn: this.options.ticketLifetime };
  }

  private userIdOf(user: Express.User): string {
    const id = this.options.getUserId(user);
    if ((typeof id !== 'string' || id.length === 0) && typeof id !== 'number') {
      throw new MisconfiguredError('the authenticated user has no id: set transfer.getUserId');
    }
    return String(id);
  }

  private emitted<T extends TransferOutcome>(reason: TransferReason, sessionId: string, anonymousUserId: string | undefined, userId: string, outcome: T): T {
    const event: TransferEvent = { reason, sessionId, anonymousUserId: anonymousUserId ?? '', userId, outcome: outcome.status };
    if (outcome.status === 'failed') event.error = outcome.error;
    const name = outcome.status === 'merged' ? 'transfer' : outcome.status === 'failed' ? 'transfer:failed' : 'transfer:conflict';
    this.events.emit(name, event);
    return outcome;
  }
}

function snapshot(record: ActiveRecord): AnonymousSnapshot {
  return {
    userId: record.userId,
    sessionId: record.sessionId,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    metadata: parseMetadata(record.metadata),
  };
}
