import { randomUUID } from 'node:crypto';
import type { ExpiredCandidate, ExpiredClaim, ExpiredOutcome } from './lifecycle';
import type { Buckets, Stored } from './redis-buckets';
import { EXPIRY_SLOT_MS, slotOf } from './lifecycle';
import * as s from './redis-lifecycle-scripts';
import { split } from './redis-buckets';

/** Slots a claim may walk past when the reaper has been away (a day of 10-minute slots). */
const WALK_LIMIT = 144;
/** Claims in a row that may each walk WALK_LIMIT empty slots (a reaper away for up to 30 days catches up at once). */
const CATCH_UP_STEPS = 30;
/** Due entries a dry run reads per script. */
const PEEK = 500;

class RedisClaim implements ExpiredClaim {
  constructor(
    readonly bucket: string,
    readonly token: string,
    /** The session ids filed under each entry of the batch, in the batch's order. */
    readonly entries: ReadonlyArray<string[]>,
    readonly stored: ReadonlyMap<string, Stored>,
    readonly expired: ExpiredCandidate[],
  ) {}
}

/**
 * The expiry index (see redis-lifecycle-scripts.ts): leased claims of due entries per bucket, the records behind them
 * read in bulk, delivered ones deleted, live ones filed again at their current expiry.
 */
export class RedisExpiry {
  constructor(private readonly buckets: Buckets) {}

  private get host() {
    return this.buckets.host;
  }

  private keys(bucket: string) {
    return this.buckets.keys(bucket);
  }

  private read(ids: string[]) {
    return this.buckets.read(ids);
  }

  private multi(...args: Parameters<Buckets['multi']>) {
    return this.buckets.multi(...args);
  }

  async claimExpired(bucket: string, now: number, limit: number, leaseMs: number): Promise<ExpiredClaim | undefined> {
    const k = this.keys(bucket);
    const token = randomUUID();
    const args = [token, String(leaseMs), String(Math.floor(now / EXPIRY_SLOT_MS)), String(limit), k.q, String(WALK_LIMIT)];
    let reply = (await this.host.run(s.CLAIM, [k.l, k.w, k.m, k.u], args)) as unknown[];
    for (let step = 0; Number(reply[0]) === 3 && step < CATCH_UP_STEPS; step++) reply = (await this.host.run(s.CLAIM, [k.l, k.w, k.m, k.u], args)) as unknown[];
    if (Number(reply[0]) !== 2) return undefined;
    const entries = (JSON.parse(String(reply[1])) as unknown[]).map(split);
    const stored = await this.read([...new Set(entries.flat())]);
    const expired: ExpiredCandidate[] = [];
    for (const [, { record, attempts }] of stored) if (record && record.expiresAt <= now) expired.push({ record, attempts });
    return new RedisClaim(bucket, token, entries, stored, expired);
  }

  async renewExpiredClaim(claim: ExpiredClaim, leaseMs: number): Promise<boolean> {
    const c = claim as RedisClaim;
    return Number(await this.host.run(s.RENEW, [this.keys(c.bucket).l], [c.token, String(leaseMs)])) === 1;
  }

  async completeExpired(claim: ExpiredClaim, outcome: ExpiredOutcome, now: number): Promise<boolean> {
    const c = claim as RedisClaim;
    const delivered = [...new Set(outcome.delivered)];
    const wasDelivered = new Set(delivered);
    const reaped = await this.multi(s.REAP, delivered.map((id) => this.host.key(id)), [String(now)]);
    const alive = new Set(delivered.filter((_, i) => Number(reaped[i]) === 0)); // touched at the last moment
    const retryAt = new Map(outcome.failed.map((f) => [f.sessionId, f.retryAt]));
    await Promise.all([...retryAt.keys()].map((id) => this.host.run(s.FAILED, [this.host.key(id)], [])));
    const ops: string[] = [];
    const unindexed = new Set<string>();
    c.entries.forEach((sessionIds, n) => {
      let next = Infinity;
      for (const id of sessionIds) {
        const record = c.stored.get(id)?.record;
        if (!record || (wasDelivered.has(id) && !alive.has(id))) {
          if (!unindexed.has(id)) ops.push('r', String(n), id);
          unindexed.add(id);
        } else if (alive.has(id)) next = Math.min(next, now + 1);
        else if (retryAt.has(id)) next = Math.min(next, retryAt.get(id)!);
        else next = Math.min(next, Math.max(record.expiresAt, now + 1)); // alive, or not handled in this batch
      }
      // One entry goes back per entry taken, at the earliest moment one of its sessions needs a look.
      if (next !== Infinity) ops.push('p', String(n), String(slotOf(next)));
    });
    const k = this.keys(c.bucket);
    const args = [c.token, k.q, String(Math.floor(now / EXPIRY_SLOT_MS)), ...ops];
    return Number(await this.host.run(s.COMPLETE, [k.l, k.w, k.m, k.u], args)) === 1;
  }

  async countExpired(now: number): Promise<number> {
    const nowSlot = String(Math.floor(now / EXPIRY_SLOT_MS));
    const ids = new Set<string>();
    for (const b of this.buckets.names) {
      const k = this.keys(b);
      let from: string[] = ['0', '0'];
      for (;;) {
        const [slot, offset, ...values] = (await this.host.run(s.PEEK_DUE, [k.m, k.u], [nowSlot, from[0], from[1], String(PEEK), k.q])) as [number, number, ...string[]];
        for (const v of values) for (const id of split(v)) ids.add(id);
        if (Number(slot) === -1) break;
        from = [String(slot), String(offset)];
      }
    }
    let n = 0;
    for (const [, { record }] of await this.read([...ids])) if (record && record.expiresAt <= now) n++;
    return n;
  }
}
