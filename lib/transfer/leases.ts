import { performance } from 'node:perf_hooks';
import type { AnonymousStore } from '../store/types';
import { TransferError } from '../errors';

/**
 * A pause before asking again: jittered so that waiting logins on many processes do not ask in step, growing to at
 * most 200 ms. Waits are measured in real (monotonic) time, never with the injectable clock: a frozen test clock
 * must not turn a bounded wait into a spin.
 */
export function pause(attempt: number, atMost = Infinity): Promise<void> {
  const ms = Math.min(atMost, 10 + Math.random() * Math.min(20 * 2 ** attempt, 200));
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Milliseconds of real time since an arbitrary origin; for deadlines. */
export const realTime = (): number => performance.now();

/**
 * Takes the lease on `userId`'s account, waiting up to `waitMs` of real time while another transfer into it holds
 * it. Resolves the fence, or undefined when the wait ran out.
 */
export async function waitForAccountLease(
  store: AnonymousStore,
  userId: string,
  token: string,
  leaseMs: number,
  now: () => number,
  waitMs: number,
): Promise<number | undefined> {
  const deadline = realTime() + waitMs;
  for (let attempt = 0; ; attempt++) {
    const lease = await store.acquireAccountLease(userId, { token, ttl: leaseMs, now: now() });
    if (lease.status === 'acquired') return lease.fence;
    const left = deadline - realTime();
    if (left <= 0) return undefined;
    await pause(attempt, left);
  }
}

/**
 * Keeps one transfer attempt's guest claim (and, once taken, its account lease) alive while the merge runs:
 * renews both every third of the lease, and stops when told. When a renewal finds a lease taken over, or none
 * succeeded for a whole lease, the attempt has lost them: `signal` aborts and `onLost` hears why.
 */
export class LeaseKeeper {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastRenewed = realTime();
  private accountUserId: string | undefined;

  constructor(
    private readonly store: AnonymousStore,
    private readonly sessionId: string,
    private readonly token: string,
    private readonly leaseMs: number,
    private readonly now: () => number,
    private readonly onLost: (reason: Error) => void,
  ) {
    this.schedule();
  }

  /** Aborted once the attempt no longer holds its leases. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The account lease (same token) is held from now on: renew it too. */
  holdAccount(userId: string): void {
    this.accountUserId = userId;
  }

  /** Stops renewing (the hook returned, or the attempt gives its leases up). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Stops renewing and aborts `signal` with `reason`. */
  abandon(reason: Error): void {
    this.stop();
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.renew(), Math.max(1, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    const now = this.now();
    const renewals = [this.store.renewClaim(this.sessionId, this.token, now + this.leaseMs, now)];
    if (this.accountUserId !== undefined) renewals.push(this.store.renewAccountLease(this.accountUserId, this.token, this.leaseMs, now));
    const results = await Promise.allSettled(renewals);
    if (this.stopped) return;
    if (results.some((r) => r.status === 'fulfilled' && !r.value)) {
      return this.lose('another transfer took over its lease');
    }
    if (results.every((r) => r.status === 'fulfilled')) this.lastRenewed = realTime();
    else if (realTime() - this.lastRenewed >= this.leaseMs) return this.lose('its lease could not be renewed (the store did not answer)');
    this.schedule();
  }

  private lose(why: string): void {
    const reason = new TransferError('transfer_failed', `The transfer lost its lease: ${why}; a write now carries a stale fence`);
    this.abandon(reason);
    this.onLost(reason);
  }
}
