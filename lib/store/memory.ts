import type { ActiveRecord, AnonymousSessionRecord } from '../session/record';
import type { AccountLeaseRequest, AccountLeaseResult, AnonymousStore, CasResult, ClaimRequest, ClaimResult, HitCount, RotationResult, TransferLink } from './types';
import type { GuestLifecycleStore } from './lifecycle';
import { integerInRange, positiveInteger } from '../config/validate';
import { MemoryGuests } from './memory-lifecycle';
import { reservedSession } from './types';

export interface MemoryStoreOptions {
  /** Most records held; past it the least recently seen record is evicted. Default 100000. */
  maxSessions?: number;
  /** Seconds between background sweeps of expired records. Default 60. */
  sweepInterval?: number;
  /** Clock in epoch ms, for tests. Default `Date.now`. */
  clock?: () => number;
  /**
   * Seconds an expired record is kept (hidden from `get`) for the reaper to hand it to `expired` listeners; past it,
   * it is dropped without an event. Default 86400.
   */
  grace?: number;
}

interface Entry {
  record: AnonymousSessionRecord;
  /** The last 16 applied update ids (idempotent retries). */
  updateIds?: string[];
  claimToken?: string;
  claimUserId?: string;
  claimUntil?: number;
}

const SWEEP_CHUNK = 1000;
const EVICTION_SCAN = 256;

/**
 * The embedded default store: one process, bounded (expired records go first, then the least recently seen),
 * records lost on restart. Use `RedisStore` to run
 * more than one process or to keep guests across restarts.
 *
 * Records are kept in least-recently-seen order, so eviction at `maxSessions` drops the guest closest
 * to idle expiry in O(1); a background sweep removes expired records in chunks without blocking the event loop.
 */
export class MemoryStore implements AnonymousStore {
  private readonly entries = new Map<string, Entry>();
  private readonly tickets = new Map<string, { sessionId: string; expiresAt: number }>();
  private readonly links = new Map<string, { link: TransferLink; expiresAt: number }>();
  private readonly counters = new Map<string, HitCount>();
  /** Account leases by real user id; an entry outlives its holder until the clock passes its fence. */
  private readonly leases = new Map<string, { token?: string; until: number; fence: number }>();
  private readonly maxSessions: number;
  private readonly clock: () => number;
  private readonly timer: NodeJS.Timeout;
  private sweeping = false;
  private readonly ledger: MemoryGuests;
  /** Find, erase, count guests and reap them (`anon.admin`, the reaper): the index and graveyard, in memory-lifecycle.ts. */
  readonly guests: GuestLifecycleStore;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxSessions = positiveInteger(options.maxSessions ?? 100_000, 'MemoryStore.maxSessions');
    const sweepSeconds = positiveInteger(options.sweepInterval ?? 60, 'MemoryStore.sweepInterval');
    this.clock = options.clock ?? Date.now;
    const grace = integerInRange(options.grace ?? 86_400, 'MemoryStore.grace', 0, 30 * 86_400);
    const maps = { entries: this.entries, tickets: this.tickets, links: this.links };
    this.guests = this.ledger = new MemoryGuests(maps, { graceMs: grace * 1000, capacity: this.maxSessions, clock: this.clock, closed: () => this.closed });
    this.timer = setInterval(() => this.sweep(), sweepSeconds * 1000);
    this.timer.unref();
  }

  /** Number of records held, expired ones not yet swept included. */
  get size(): number {
    return this.entries.size;
  }

  /** Stops the background sweep (the timer never holds the process open, but tests like a clean stop). */
  close(): void {
    clearInterval(this.timer);
    this.closed = true; // the in-app reaper stops too
  }

  async create(record: ActiveRecord): Promise<boolean> {
    if (this.live(record.sessionId)) return false;
    if (this.entries.size >= this.maxSessions) this.dropExpired(EVICTION_SCAN);
    while (this.entries.size >= this.maxSessions) {
      const [oldest, entry] = this.entries.entries().next().value as [string, Entry];
      this.ledger.bury(oldest, entry.record, this.clock()); // evicted: the reaper hands it out as expired
    }
    this.entries.set(record.sessionId, { record: { ...record } });
    this.ledger.indexed(record);
    return true;
  }

  async get(sessionId: string): Promise<AnonymousSessionRecord | undefined> {
    const entry = this.live(sessionId);
    return entry ? { ...entry.record } : undefined;
  }

  async touch(sessionId: string, lastSeenAt: number, expiresAt: number): Promise<boolean> {
    const entry = this.live(sessionId);
    if (!entry || entry.record.state !== 'active') return false;
    entry.record.lastSeenAt = lastSeenAt;
    entry.record.expiresAt = expiresAt;
    // Re-insert to keep the map in least-recently-seen order.
    this.entries.delete(sessionId);
    this.entries.set(sessionId, entry);
    return true;
  }

  async compareAndSetMetadata(
    sessionId: string,
    expectedVersion: number,
    metadata: string,
    now: number,
    updateId = '',
  ): Promise<CasResult> {
    const entry = this.live(sessionId);
    if (!entry) return { status: 'missing' };
    if (updateId && entry.updateIds?.includes(updateId)) return { status: 'duplicate', version: entry.record.version };
    if (entry.record.state !== 'active') return { status: 'ended' };
    if (entry.claimUntil !== undefined && entry.claimUntil > now) return { status: 'busy' };
    if (entry.record.version !== expectedVersion) return { status: 'conflict' };
    entry.record.metadata = metadata;
    entry.record.version += 1;
    if (updateId) entry.updateIds = [...(entry.updateIds ?? []), updateId].slice(-16);
    return { status: 'ok', version: entry.record.version };
  }

  async revoke(sessionId: string, at: number): Promise<boolean> {
    const entry = this.live(sessionId);
    if (!entry || entry.record.state !== 'active') return false;
    entry.record = { ...entry.record, state: 'revoked', revokedAt: at };
    return true;
  }

  async rotateTokenGeneration(sessionId: string, expected: number, now: number): Promise<RotationResult> {
    const entry = this.live(sessionId, now);
    if (!entry) return { status: 'missing' };
    if (entry.record.state !== 'active') return { status: 'ended' };
    const current = entry.record.tokenGeneration ?? 0;
    if (current !== expected) return { status: 'stale', generation: current, rotatedAt: entry.record.tokenRotatedAt ?? 0 };
    entry.record.tokenGeneration = current + 1;
    entry.record.tokenRotatedAt = now;
    return { status: 'rotated', generation: current + 1 };
  }

  async claim(sessionId: string, request: ClaimRequest): Promise<ClaimResult> {
    const entry = this.live(sessionId, request.now);
    if (!entry) return { status: 'missing' };
    const { record } = entry;
    if (record.state === 'transferred') return { status: 'transferred', userId: record.transferredTo, at: record.transferredAt };
    if (record.state === 'revoked') return { status: 'revoked' };
    if (entry.claimUserId !== undefined && entry.claimUntil! > request.now && entry.claimToken !== request.token) {
      return { status: 'pending', userId: entry.claimUserId };
    }
    entry.claimToken = request.token;
    entry.claimUserId = request.userId;
    entry.claimUntil = request.leaseUntil;
    return { status: 'claimed', record: { ...record } };
  }

  async completeClaim(sessionId: string, token: string, at: number): Promise<boolean> {
    const entry = this.entries.get(sessionId);
    if (!entry || entry.claimToken !== token || entry.claimUserId === undefined || entry.record.state !== 'active') return false;
    entry.record = { ...entry.record, state: 'transferred', transferredTo: entry.claimUserId, transferredAt: at };
    delete entry.claimToken;
    delete entry.claimUserId;
    delete entry.claimUntil;
    return true;
  }

  async releaseClaim(sessionId: string, token: string): Promise<void> {
    const entry = this.entries.get(sessionId);
    if (entry && entry.claimToken === token) {
      delete entry.claimToken;
      delete entry.claimUserId;
      delete entry.claimUntil;
    }
  }

  async destroy(sessionId: string): Promise<void> {
    const entry = this.entries.get(sessionId);
    this.entries.delete(sessionId);
    if (entry) this.ledger.forget(sessionId, entry.record.userId);
  }

  async putTicket(ticketId: string, sessionId: string, expiresAt: number): Promise<void> {
    this.tickets.set(ticketId, { sessionId, expiresAt });
    this.ledger.noteTicket(sessionId, ticketId);
  }

  async takeTicket(ticketId: string, now: number): Promise<string | undefined> {
    const ticket = this.tickets.get(ticketId);
    this.tickets.delete(ticketId);
    return ticket && ticket.expiresAt > now ? ticket.sessionId : undefined;
  }

  async peekTicket(ticketId: string, now: number): Promise<string | undefined> {
    const ticket = this.tickets.get(ticketId);
    return ticket && ticket.expiresAt > now ? ticket.sessionId : undefined;
  }

  async putIfAbsent(key: string, value: string, expiresAt: number, now: number): Promise<string | undefined> {
    const existing = await this.getValue(key, now);
    if (existing !== undefined) return existing;
    this.tickets.set(`i:${key}`, { sessionId: value, expiresAt });
    this.ledger.noteIdempotencyKey(reservedSession(value), key);
    return undefined;
  }

  async getValue(key: string, now: number): Promise<string | undefined> {
    const existing = this.tickets.get(`i:${key}`);
    return existing && existing.expiresAt > now ? existing.sessionId : undefined;
  }

  async countHit(key: string, windowMs: number, now: number): Promise<HitCount> {
    let counter = this.counters.get(key);
    if (!counter || counter.resetAt <= now) {
      counter = { count: 0, resetAt: now + windowMs };
      this.counters.set(key, counter);
    }
    counter.count += 1;
    return { ...counter };
  }

  async saveTransferLink(link: TransferLink, expiresAt: number): Promise<void> {
    this.links.delete(link.anonymousUserId);
    this.links.set(link.anonymousUserId, { link: { ...link }, expiresAt });
    this.ledger.noteLink(link);
    while (this.links.size > this.maxSessions) this.links.delete(this.links.keys().next().value as string);
  }

  async getTransferLink(anonymousUserId: string): Promise<TransferLink | undefined> {
    const entry = this.links.get(anonymousUserId);
    if (!entry || entry.expiresAt <= this.clock()) return undefined;
    return { ...entry.link };
  }

  // Transfers into one account (issue #13)

  async renewClaim(sessionId: string, token: string, leaseUntil: number, now: number): Promise<boolean> {
    const entry = this.live(sessionId, now);
    if (!entry || entry.record.state !== 'active' || entry.claimToken !== token) return false;
    entry.claimUntil = leaseUntil;
    return true;
  }

  async acquireAccountLease(userId: string, request: AccountLeaseRequest): Promise<AccountLeaseResult> {
    const lease = this.leases.get(userId);
    if (lease?.token !== undefined && lease.until > request.now) return { status: 'held' };
    // Never below the clock: fences keep increasing after the entry is swept or the process restarts.
    const fence = Math.max((lease?.fence ?? 0) + 1, request.now);
    this.leases.set(userId, { token: request.token, until: request.now + request.ttl, fence });
    return { status: 'acquired', fence };
  }

  async renewAccountLease(userId: string, token: string, ttl: number, now: number): Promise<boolean> {
    const lease = this.leases.get(userId);
    if (!lease || lease.token !== token || lease.until <= now) return false;
    lease.until = now + ttl;
    return true;
  }

  async releaseAccountLease(userId: string, token: string): Promise<void> {
    const lease = this.leases.get(userId);
    if (lease?.token === token) delete lease.token;
  }

  /** The entry if it exists and has not expired; an expired one goes to the graveyard on sight (for the reaper). */
  private live(sessionId: string, now = this.clock()): Entry | undefined {
    const entry = this.entries.get(sessionId);
    if (entry && entry.record.expiresAt <= now) {
      this.ledger.bury(sessionId, entry.record, now);
      return undefined;
    }
    return entry;
  }

  /** At capacity, expired records go first: a bounded look from the least recently seen end. */
  private dropExpired(limit: number): void {
    const now = this.clock();
    let seen = 0;
    for (const [id, entry] of this.entries) {
      if (seen++ >= limit) break;
      if (entry.record.expiresAt <= now) this.ledger.bury(id, entry.record, now);
    }
  }

  /** Removes expired records a chunk at a time, yielding to the event loop between chunks. */
  private sweep(): void {
    if (this.sweeping) return;
    this.sweeping = true;
    const keys = [...this.entries.keys()];
    const step = (start: number): void => {
      const now = this.clock();
      for (const key of keys.slice(start, start + SWEEP_CHUNK)) this.live(key, now);
      if (start === 0) {
        for (const [id, t] of this.tickets) if (t.expiresAt <= now) this.tickets.delete(id);
        for (const [id, l] of this.links) if (l.expiresAt <= now) this.links.delete(id);
        for (const [key, c] of this.counters) if (c.resetAt <= now) this.counters.delete(key);
        for (const [id, l] of this.leases) if (l.until <= now && l.fence < now) this.leases.delete(id);
        this.ledger.sweep(now);
      }
      if (start + SWEEP_CHUNK < keys.length) setImmediate(step, start + SWEEP_CHUNK);
      else this.sweeping = false;
    };
    step(0);
  }
}
