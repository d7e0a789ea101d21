import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { TokenRotation } from '../session/token-rotation';
import type { Request } from 'express';
import type { TokenService } from '../tokens/token-service';
import type { ActiveRecord } from '../session/record';
import type { SessionBinding } from '../session/binding';
import type { Logger } from '../config/logger';
import type { AnonymousStore, TransferLink } from '../store/types';
import type { ResolvedTransferOptions } from './options';
import type { AnonymousSnapshot, TransferOutcome, TransferPreview, TransferReason } from './types';
import type { AttemptInfo } from './report';
import type { Instrumentation } from '../metrics/instrumentation';
import { parseMetadata } from '../session/metadata';
import { isActive } from '../session/record';
import { ConfigurationError, MisconfiguredError } from '../errors';
import { logError, warnOnce } from '../config/logger';
import { findGuest, ticketId, transferIdOf } from './source';
import { relogin, renewSessionId } from './session-renewal';
import { LeaseKeeper, pause, realTime, waitForAccountLease } from './leases';
import { dropPendingGuest, keepPendingGuest } from './pending';
import { runHook } from './hook';
import { report } from './report';
import { noMetrics } from '../metrics/instrumentation';

/** What the transfer needs from the rest of the library. */
export interface TransferDependencies {
  store: AnonymousStore;
  tokens: TokenService;
  binding: SessionBinding;
  clock: () => number;
  logger: Logger;
  /** Counts every outcome (`anonymous_session.transfers`). */
  metrics?: Instrumentation;
  /** Session-token rotation: a replaced token presented at login revokes its session instead of transferring it. */
  rotation?: TokenRotation;
}

const SAME_USER_WAIT_MS = 2000;
const LEASE_METHODS = ['renewClaim', 'acquireAccountLease', 'renewAccountLease', 'releaseAccountLease'] as const;

type Attempt = AttemptInfo & { sessionId: string; transferId: string };

/**
 * Exactly-once transfer of a guest into a real user: claim the guest, take the account's lease, run the hook with
 * both renewed, complete; or give both back and keep the guest.
 */
export class TransferService {
  // Annotated: the inferred EventEmitter<[never]> in the .d.ts fails TS2344 under @types/node 26.
  readonly events: EventEmitter = new EventEmitter();

  private readonly store: AnonymousStore;
  private readonly now: () => number;
  private readonly pendingKey: string;
  private readonly metrics: Instrumentation;

  constructor(
    private readonly deps: TransferDependencies,
    private readonly options: ResolvedTransferOptions,
  ) {
    this.store = deps.store;
    this.now = deps.clock;
    this.pendingKey = `${deps.binding.key}Pending`;
    this.metrics = deps.metrics ?? noMetrics;
    const missing = LEASE_METHODS.filter((m) => typeof (deps.store as unknown as Record<string, unknown>)[m] !== 'function');
    if (missing.length > 0) throw new ConfigurationError('store', `must implement ${missing.join(', ')} (AnonymousStore: transfers into one account are serialized in the store)`);
  }

  async transfer(req: Request, user: Express.User, reason: TransferReason): Promise<TransferOutcome> {
    try {
      return await this.attempt(req, user, reason);
    } catch (err) {
      this.metrics.transfer('error', reason); // a store outage, a misconfiguration: no outcome, but counted
      throw err;
    }
  }

  private async attempt(req: Request, user: Express.User, reason: TransferReason): Promise<TransferOutcome> {
    const userId = this.userIdOf(user);
    const guest = await this.find(req, userId, false);
    if (!guest) return this.settle(req, { reason, userId }, { status: 'no_session' });
    const attempt: Attempt = { reason, userId, ...guest, transferId: transferIdOf(guest.sessionId, userId) };
    const { transferId } = attempt;
    const token = randomUUID();
    const leaseMs = this.options.lease * 1000;
    // A concurrent attempt by the same user is waited for briefly; a stuck one (a crash, a lost reply) is not: its
    // lease lapses and the next login transfers the guest, so the request is not held for the whole lease.
    const deadline = realTime() + Math.min(leaseMs, SAME_USER_WAIT_MS);
    for (let waits = 0; ; waits++) {
      const now = this.now();
      const claimedAt = realTime();
      const claim = await this.store.claim(attempt.sessionId, { token, userId, leaseUntil: now + leaseMs, now });
      if (claim.status === 'missing' || claim.status === 'revoked') return this.settle(req, attempt, { status: 'no_session' });
      if (claim.status === 'transferred') {
        return this.settle(req, attempt, { status: 'already_transferred', userId: claim.userId, at: claim.at, sameUser: claim.userId === userId, transferId });
      }
      if (claim.status === 'claimed') return this.merge(req, user, attempt, claim.record, token, claimedAt);
      // pending: another user's login is transferring it; or the same user logging in twice at once, waited for.
      const left = deadline - realTime();
      if (claim.userId !== userId || left <= 0) return this.settle(req, attempt, { status: 'conflict', userId: claim.userId, transferId });
      await pause(waits, left);
    }
  }

  private async merge(req: Request, user: Express.User, attempt: Attempt, record: ActiveRecord, token: string, claimedAt: number): Promise<TransferOutcome> {
    const { store, options } = this;
    const { userId, transferId } = attempt;
    attempt.anonymousUserId = record.userId;
    const leaseMs = options.lease * 1000;
    const keeper = new LeaseKeeper(store, record.sessionId, token, leaseMs, this.now, (lost) => logError(this.deps.logger, `transfer ${transferId}: ${lost.message}`, lost), claimedAt);
    let releaseAccount = false;
    let hookStarted = false;
    try {
      const lease = await waitForAccountLease(store, userId, token, leaseMs, this.now, options.accountWait * 1000);
      if (lease === undefined) {
        keeper.stop();
        const cleanupError = await this.giveBack(record.sessionId, token);
        return await this.settle(req, attempt, { status: 'busy', userId, transferId }, cleanupError);
      }
      const { fence } = lease;
      attempt.fence = fence;
      releaseAccount = true;
      keeper.holdAccount(userId, lease.sentAt);
      const anonymous = snapshot(record);
      hookStarted = true;
      const context = { anonymous, user, reason: attempt.reason, req, transferId, fence, signal: keeper.signal };
      const hook = await runHook(options.onTransfer, context, keeper, options.hookTimeout, (late) => this.lateHook(transferId, late));
      keeper.stop();
      if (!hook.ok) {
        // After a timeout the hook may still be writing: its claim and lease lapse rather than being given back.
        releaseAccount = !hook.timedOut;
        const cleanupError = hook.timedOut ? undefined : await this.giveBack(record.sessionId, token);
        const failed = { status: 'failed' as const, error: hook.error, transferId, ...(cleanupError === undefined ? {} : { cleanupError }) };
        return await this.settle(req, attempt, failed, cleanupError);
      }
      const at = this.now();
      if (!(await store.completeClaim(record.sessionId, token, at))) {
        // The claim lapsed and another login took over: report, do not claim success twice.
        const again = await store.get(record.sessionId);
        const winner = again?.state === 'transferred' ? again.transferredTo : userId;
        return await this.settle(req, attempt, { status: 'conflict', userId: winner, transferId });
      }
      await this.confirmReplicated(record.sessionId, transferId);
      releaseAccount = false;
      await this.releaseAccount(userId, token, transferId);
      const link: TransferLink = { anonymousUserId: record.userId, sessionId: record.sessionId, userId, at };
      await store.saveTransferLink(link, at + options.linkRetention * 1000);

      req.user = hook.user;
      if (req.anonymous?.sessionId === record.sessionId) this.deps.binding.unbind(req);
      const keptGuestDone = attempt.source === 'pending' && dropPendingGuest(req, this.pendingKey);
      await renewSessionId(req, this.deps.binding);
      if (keptGuestDone) await this.deps.binding.save(req);
      await relogin(req, hook.user);
      return await this.settle(req, attempt, { status: 'merged', user: hook.user, anonymous, transferId, fence, dropped: hook.dropped });
    } catch (err) {
      // A store failure before the hook ran: give the guest back now rather than after the lease. After the hook ran,
      // its write may have committed: the claim lapses, and the retry (same transferId) is the app's to recognise.
      const cleanupError = hookStarted ? undefined : await this.giveBack(record.sessionId, token);
      if (cleanupError !== undefined) logError(this.deps.logger, `transfer ${transferId}: giving the guest's claim back failed; it lapses after transfer.lease`, cleanupError);
      throw err;
    } finally {
      keeper.stop();
      if (releaseAccount) await this.releaseAccount(userId, token, transferId);
    }
  }

  /**
   * `mode: 'ask'`: keeps the request's guest with the login session instead of merging it, so a later request can
   * preview it ("add your 3 guest items?") and `transferTo` or `declineTransfer` it. A ticket is spent here.
   */
  async defer(req: Request, user: Express.User, reason: TransferReason): Promise<TransferOutcome> {
    if (!req.session) throw new MisconfiguredError("mode 'ask' keeps the guest in the login session: mount express-session before the login route");
    const userId = this.userIdOf(user);
    const guest = await this.find(req, userId, false);
    if (!guest) return this.settle(req, { reason, userId }, { status: 'no_session' });
    const attempt: Attempt = { reason, userId, ...guest, transferId: transferIdOf(guest.sessionId, userId) };
    const record = await this.store.get(guest.sessionId);
    const now = this.now();
    if (record?.state === 'transferred' && record.expiresAt > now) {
      return this.settle(req, attempt, { status: 'already_transferred', userId: record.transferredTo, at: record.transferredAt, sameUser: record.transferredTo === userId, transferId: attempt.transferId });
    }
    if (!isActive(record, now)) return this.settle(req, attempt, { status: 'no_session' });
    attempt.anonymousUserId = record.userId;
    if (req.anonymous?.sessionId === record.sessionId) this.deps.binding.unbind(req);
    keepPendingGuest(req, this.pendingKey, record.sessionId, userId);
    await renewSessionId(req, this.deps.binding); // no fixation: the login session gets a new id either way
    await this.deps.binding.save(req);
    return this.settle(req, attempt, { status: 'deferred', anonymous: snapshot(record), transferId: attempt.transferId });
  }

  /** Forgets the guest an `ask` login kept (the user said no). The guest itself is left as it is. */
  async decline(req: Request): Promise<boolean> {
    if (!dropPendingGuest(req, this.pendingKey)) return false;
    await this.deps.binding.save(req);
    return true;
  }

  /** What a transfer would merge, changing nothing: the same guest the transfer would take (a ticket is not spent). */
  async preview(req: Request, user: Express.User): Promise<TransferPreview> {
    const userId = this.userIdOf(user);
    const guest = await this.find(req, userId, true);
    if (!guest) return { status: 'no_session' };
    const record = await this.store.get(guest.sessionId);
    if (record?.state === 'transferred' && record.expiresAt > this.now()) {
      return { status: 'already_transferred', userId: record.transferredTo, at: record.transferredAt, sameUser: record.transferredTo === userId };
    }
    if (!isActive(record, this.now())) return { status: 'no_session' };
    return { status: 'ready', anonymous: snapshot(record), transferId: transferIdOf(record.sessionId, userId), source: guest.source };
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

  private find(req: Request, userId: string, peek: boolean) {
    return findGuest(req, this.deps.tokens, this.store, this.now(), {
      peek,
      userId,
      pendingKey: this.pendingKey,
      rotation: this.deps.rotation,
      onQueryToken: () =>
        warnOnce(this.deps.logger, 'query-session-token', 'anonymous_session_token in the query string is ignored at login (URLs leak into logs and Referer): send it in the body or the Anonymous-Session-Token header'),
    });
  }

  private userIdOf(user: Express.User): string {
    const id = this.options.getUserId(user);
    if ((typeof id !== 'string' || id.length === 0) && typeof id !== 'number') {
      throw new MisconfiguredError('the authenticated user has no id: set transfer.getUserId');
    }
    return String(id);
  }

  /** A store that replicates (`waitForReplicas`) has the completion on its replicas before the login is answered; a shortfall is said. */
  private async confirmReplicated(sessionId: string, transferId: string): Promise<void> {
    const ack = await this.store.awaitReplication?.(sessionId);
    if (ack && ack.acknowledged < ack.required) {
      this.deps.logger.warn(
        `express-anonymous-session: transfer ${transferId}: the completion reached ${ack.acknowledged} of ${ack.required} replica(s) in time; a failover now could undo it`,
      );
    }
  }

  /** Gives the guest's claim back; answers the error if that failed (the claim then lapses after the lease). */
  private async giveBack(sessionId: string, token: string): Promise<unknown> {
    try {
      await this.store.releaseClaim(sessionId, token);
      return undefined;
    } catch (err) {
      return err;
    }
  }

  private async releaseAccount(userId: string, token: string, transferId: string): Promise<void> {
    try {
      await this.store.releaseAccountLease(userId, token);
    } catch (err) {
      logError(this.deps.logger, `transfer ${transferId}: giving the account lease back failed; it lapses after transfer.lease`, err);
    }
  }

  /** A hook that settled after `transfer.hookTimeout`: its attempt already failed; say what it did after all. */
  private lateHook(transferId: string, late: { error?: unknown }): void {
    if (late.error !== undefined) logError(this.deps.logger, `transfer ${transferId}: onTransfer failed after transfer.hookTimeout`, late.error);
    else this.deps.logger.warn(`express-anonymous-session: transfer ${transferId}: onTransfer returned after transfer.hookTimeout; whatever it wrote, the next login retries with the same transferId`);
  }

  /** Reports the outcome (events, log); a guest kept by an `ask` login is forgotten once it cannot transfer any more. */
  private async settle<T extends TransferOutcome>(req: Request, info: AttemptInfo, outcome: T, cleanupError?: unknown): Promise<T> {
    const finished = outcome.status === 'already_transferred' || outcome.status === 'no_session';
    if (finished && info.source === 'pending' && dropPendingGuest(req, this.pendingKey)) await this.deps.binding.save(req);
    report(this.events, this.deps.logger, info, outcome, cleanupError);
    this.metrics.transfer(outcome.status, info.reason);
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
