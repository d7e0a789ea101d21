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
 * it. Resolves the fence and the real time at which the successful request was sent (the lease runs at most
 * `leaseMs` from then), or undefined when the wait ran out.
 */
export async function waitForAccountLease(
  store: AnonymousStore,
  userId: string,
  token: string,
  leaseMs: number,
  now: () => number,
  waitMs: number,
): Promise<{ fence: number; sentAt: number } | undefined> {
  const deadline = realTime() + waitMs;
  for (let attempt = 0; ; attempt++) {
    const sentAt = realTime();
    const lease = await store.acquireAccountLease(userId, { token, ttl: leaseMs, now: now() });
    if (lease.status === 'acquired') return { fence: lease.fence, sentAt };
    const left = deadline - realTime();
    if (left <= 0) return undefined;
    await pause(attempt, left);
  }
}

/**
 * Keeps one transfer attempt's guest claim (and, once taken, its account lease) alive while the merge runs:
 * renews both every third of the lease, and stops when told. When a renewal finds a lease taken over, or the
 * leases run out before a renewal succeeded, the attempt has lost them: `signal` aborts and `onLost` hears why.
 *
 * "Run out" is counted from when the last successful request was *sent* (the store's lease starts no earlier), so
 * the signal aborts no later than the moment another process could take the lease over: a hook that checks
 * `signal.aborted` before writing never writes after it lost.
 */
export class LeaseKeeper {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private lapse: NodeJS.Timeout | undefined;
  private stopped = false;
  private heldUntil: number;
  private accountUserId: string | undefined;

  /** `claimedAt`: the real time (`realTime()`) at which the successful claim was sent. */
  constructor(
    private readonly store: AnonymousStore,
    private readonly sessionId: string,
    private readonly token: string,
    private readonly leaseMs: number,
    private readonly now: () => number,
    private readonly onLost: (reason: Error) => void,
    claimedAt: number,
  ) {
    this.heldUntil = claimedAt + leaseMs;
    this.watch();
    this.schedule();
  }

  /** Aborted once the attempt no longer holds its leases. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The account lease (same token), acquired by a request sent at `acquiredAt`, is held from now on: renew it too. */
  holdAccount(userId: string, acquiredAt: number): void {
    this.accountUserId = userId;
    this.heldUntil = Math.min(this.heldUntil, acquiredAt + this.leaseMs);
    this.watch();
  }

  /** Stops renewing (the hook returned, or the attempt gives its leases up). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.lapse);
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

  /** Fires when the leases run out unrenewed. */
  private watch(): void {
    if (this.stopped) return;
    clearTimeout(this.lapse);
    this.lapse = setTimeout(() => this.lose('its lease could not be renewed in time (the store did not answer)'), Math.max(0, this.heldUntil - realTime()));
    this.lapse.unref();
  }

  private async renew(): Promise<void> {
    const sentAt = realTime();
    const now = this.now();
    const renewals = [this.store.renewClaim(this.sessionId, this.token, now + this.leaseMs, now)];
    if (this.accountUserId !== undefined) renewals.push(this.store.renewAccountLease(this.accountUserId, this.token, this.leaseMs, now));
    const results = await Promise.allSettled(renewals);
    if (this.stopped) return;
    if (results.some((r) => r.status === 'fulfilled' && !r.value)) {
      return this.lose('another transfer took over its lease');
    }
    if (results.every((r) => r.status === 'fulfilled')) {
      this.heldUntil = sentAt + this.leaseMs;
      this.watch();
    }
    this.schedule();
  }

  private lose(why: string): void {
    if (this.stopped) return;
    const reason = new TransferError('transfer_failed', `The transfer lost its lease: ${why}; a write now carries a stale fence`);
    this.abandon(reason);
    this.onLost(reason);
  }
}
