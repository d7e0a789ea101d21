import type { GuestLifecycleStore, ExpiredCandidate, ExpiredClaim, ExpiredOutcome } from '../store/lifecycle';
import type { Logger } from '../config/logger';
import type { LifecycleEmitter } from './events';
import type { ResolvedReaperOptions } from './options';
import type { Instrumentation } from '../metrics/instrumentation';
import { noMetrics } from '../metrics/instrumentation';
import { logError } from '../config/logger';
import { guestSessionOf } from '../session/record';

/** What one pass did. */
export interface ReapReport {
  /** Expired records handed out (with `dryRun`: records that would be). */
  expired: number;
  /** Delivered to every `expired` listener, then deleted. */
  delivered: number;
  /** A listener threw: kept, and handed out again after a backoff. */
  failed: number;
  /** Batches claimed. */
  batches: number;
  dryRun: boolean;
}

/** Buckets a pass works on at once. */
const PARALLEL_BUCKETS = 4;

/** Delay before delivery attempt n + 1 after n failures: 10 minutes, doubling, at most 6 hours (bounded by the grace). */
export function retryDelay(failures: number): number {
  return Math.min(10 * 60_000 * 2 ** (failures - 1), 6 * 3_600_000);
}

/**
 * Hands expired guests to `expired` listeners, then deletes them. Every bucket of the store's expiry index is walked
 * in a random order; a batch is claimed under a lease (so among many processes one works on it at a time), the
 * lease is renewed while listeners run, and a record is deleted only after all its listeners resolved. A process
 * that dies mid-batch leaves the batch to whoever claims the bucket after the lease: at least once, never lost.
 */
export class Reaper {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<ReapReport> | undefined;
  private failing = false;

  constructor(
    private readonly store: GuestLifecycleStore,
    private readonly events: LifecycleEmitter,
    private readonly options: ResolvedReaperOptions,
    private readonly clock: () => number,
    private readonly logger: Logger,
    private readonly metrics: Instrumentation = noMetrics,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.options.interval * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass over every bucket until nothing is due or `limit` records were handed out; passes never overlap. */
  run(limit = Infinity): Promise<ReapReport> {
    this.pass ??= this.walk(limit).finally(() => (this.pass = undefined));
    return this.pass;
  }

  /** The records a pass would hand out now, changing nothing. */
  async dryRun(): Promise<ReapReport> {
    const expired = await this.store.countExpired(this.clock());
    return { expired, delivered: 0, failed: 0, batches: 0, dryRun: true };
  }

  private async tick(): Promise<void> {
    if (this.store.closed) return this.stop(); // the app closed its store or client: there is nothing left to reap
    try {
      await this.run();
      this.failing = false;
    } catch (err) {
      if (!this.failing) logError(this.logger, 'the reaper could not reach the store (it keeps trying)', err);
      this.failing = true;
    }
  }

  /** Buckets in a random order (processes spread out), a few at once (Redis works on one batch while Node delivers another). */
  private async walk(limit: number): Promise<ReapReport> {
    const report: ReapReport = { expired: 0, delivered: 0, failed: 0, batches: 0, dryRun: false };
    const buckets = [...this.store.expiryBuckets].sort(() => Math.random() - 0.5);
    const worker = async () => {
      for (let bucket = buckets.pop(); bucket !== undefined; bucket = buckets.pop()) await this.drain(bucket, report, limit);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_BUCKETS, buckets.length) }, worker));
    return report;
  }

  /** Claims, delivers and completes batches of one bucket until nothing is due there. */
  private async drain(bucket: string, report: ReapReport, limit: number): Promise<void> {
    while (report.expired < limit) {
      const claim = await this.store.claimExpired(bucket, this.clock(), Math.min(this.options.batch, limit - report.expired), this.options.lease * 1000);
      if (!claim) return;
      report.batches++;
      report.expired += claim.expired.length;
      for (const candidate of claim.expired) if (candidate.attempts === 0) this.metrics.guestExpired();
      const outcome = await this.holding(claim, () => this.deliver(claim.expired));
      report.delivered += outcome.delivered.length;
      report.failed += outcome.failed.length;
      if (await this.store.completeExpired(claim, outcome, this.clock())) this.metrics.guestsReaped(outcome.delivered.length);
    }
  }

  /** Runs `work` while renewing the claim's lease. */
  private async holding<T>(claim: ExpiredClaim, work: () => Promise<T>): Promise<T> {
    const leaseMs = this.options.lease * 1000;
    const renew = setInterval(() => {
      this.store.renewExpiredClaim(claim, leaseMs).catch((err: unknown) => logError(this.logger, 'the reaper could not renew its lease', err));
    }, leaseMs / 3);
    renew.unref();
    try {
      return await work();
    } finally {
      clearInterval(renew);
    }
  }

  /** Each record to every listener, `concurrency` records at a time. */
  private async deliver(candidates: readonly ExpiredCandidate[]): Promise<ExpiredOutcome> {
    const delivered: string[] = [];
    const failed: Array<{ sessionId: string; retryAt: number }> = [];
    if (!this.events.has('expired')) return { delivered: candidates.map((c) => c.record.sessionId), failed };
    let next = 0;
    const worker = async () => {
      while (next < candidates.length) {
        const { record, attempts } = candidates[next++];
        try {
          await this.events.deliver({ type: 'expired', sessionId: record.sessionId, anonymousUserId: record.userId, at: record.expiresAt, record: guestSessionOf(record), attempt: attempts + 1 });
          delivered.push(record.sessionId);
        } catch (err) {
          failed.push({ sessionId: record.sessionId, retryAt: this.clock() + retryDelay(attempts + 1) });
          logError(this.logger, `an 'expired' listener failed (attempt ${attempts + 1}; it gets the guest again later)`, err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, candidates.length) }, worker));
    return { delivered, failed };
  }
}
