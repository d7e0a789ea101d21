import type { AnonymousSessionRecord } from '../session/record';
import type { TransferLink } from './types';
import type {
  ErasedGuest,
  ExpiredCandidate,
  ExpiredClaim,
  ExpiredOutcome,
  GuestCount,
  GuestLifecycleStore,
  GuestPage,
  GuestSessions,
  SessionCount,
} from './lifecycle';

/** The maps of a MemoryStore the ledger reads and prunes. */
export interface MemoryMaps {
  entries: Map<string, { record: AnonymousSessionRecord; updateIds?: string[] }>;
  tickets: Map<string, { sessionId: string; expiresAt: number }>;
  links: Map<string, { link: TransferLink; expiresAt: number }>;
}

interface Buried {
  record: AnonymousSessionRecord;
  attempts: number;
  /** When the reaper may hand it out (again). */
  dueAt: number;
  /** A claim holds it until then. */
  leaseUntil: number;
  claim?: MemoryClaim;
}

class MemoryClaim implements ExpiredClaim {
  readonly bucket = 'memory';
  constructor(readonly expired: ExpiredCandidate[]) {}
}

/**
 * `MemoryStore.guests`: the guest index and graveyard: sessions by anonymous user id, the tickets, idempotency keys
 * and transfer links recorded against them, and expired records kept (hidden from `get`) until the reaper has handed
 * them to the app, or until `grace` has passed. One process, so every operation is atomic.
 */
export class MemoryGuests implements GuestLifecycleStore {
  readonly expiryBuckets: readonly string[] = ['memory'];
  /** Session ids by anonymous user id: a string for the usual one session, a set for more. */
  private readonly byUser = new Map<string, string | Set<string>>();
  private readonly graveyard = new Map<string, Buried>();
  private readonly ticketsOf = new Map<string, Set<string>>();
  private readonly keysOf = new Map<string, Set<string>>();
  private readonly linksOf = new Map<string, Set<string>>();

  constructor(
    private readonly maps: MemoryMaps,
    private readonly options: { graceMs: number; capacity: number; clock: () => number; closed: () => boolean },
  ) {}

  get closed(): boolean {
    return this.options.closed();
  }

  indexed(record: AnonymousSessionRecord): void {
    const sessions = this.byUser.get(record.userId);
    if (sessions === undefined) this.byUser.set(record.userId, record.sessionId);
    else if (typeof sessions === 'string') this.byUser.set(record.userId, new Set([sessions, record.sessionId]));
    else sessions.add(record.sessionId);
  }

  private sessionsOf(userId: string): string[] {
    const sessions = this.byUser.get(userId);
    return sessions === undefined ? [] : typeof sessions === 'string' ? [sessions] : [...sessions];
  }

  /** Moves a record out of the live map into the graveyard, where the reaper finds it. */
  bury(sessionId: string, record: AnonymousSessionRecord, now: number): void {
    this.maps.entries.delete(sessionId);
    if (record.expiresAt + this.options.graceMs <= now) return this.forget(sessionId, record.userId);
    this.graveyard.set(sessionId, { record, attempts: 0, dueAt: Math.min(record.expiresAt, now), leaseUntil: 0 });
    while (this.graveyard.size > this.options.capacity) {
      const [oldest, buried] = this.graveyard.entries().next().value as [string, Buried];
      this.graveyard.delete(oldest);
      this.forget(oldest, buried.record.userId);
    }
  }

  /** Drops every trace of a session that is gone for good. */
  forget(sessionId: string, userId: string): void {
    this.graveyard.delete(sessionId);
    const sessions = this.byUser.get(userId);
    if (sessions === sessionId) this.byUser.delete(userId);
    else if (typeof sessions === 'object') {
      sessions.delete(sessionId);
      if (sessions.size === 0) this.byUser.delete(userId);
    }
    this.ticketsOf.delete(sessionId);
    this.keysOf.delete(sessionId);
  }

  noteTicket(sessionId: string, ticketId: string): void {
    add(this.ticketsOf, sessionId, ticketId);
  }

  noteIdempotencyKey(sessionId: string, key: string): void {
    add(this.keysOf, sessionId, key);
  }

  noteLink(link: TransferLink): void {
    add(this.linksOf, link.userId, link.anonymousUserId);
  }

  /** Graveyard records past their grace are gone without an event (the reaper did not run in time). */
  sweep(now: number): void {
    for (const [id, b] of this.graveyard) if (b.record.expiresAt + this.options.graceMs <= now) this.forget(id, b.record.userId);
  }

  /** Moves every expired record to the graveyard (the reaper's view; the store's sweep does it in chunks). */
  private buryExpired(now: number): void {
    for (const [id, entry] of this.maps.entries) if (entry.record.expiresAt <= now) this.bury(id, entry.record, now);
  }

  async findSessions(anonymousUserId: string): Promise<AnonymousSessionRecord[]> {
    return this.sessionRecords(anonymousUserId);
  }

  private sessionRecords(anonymousUserId: string): AnonymousSessionRecord[] {
    const out: AnonymousSessionRecord[] = [];
    for (const id of this.sessionsOf(anonymousUserId)) {
      const record = this.maps.entries.get(id)?.record ?? this.graveyard.get(id)?.record;
      if (record) out.push({ ...record });
    }
    return out;
  }

  async eraseGuest(anonymousUserId: string): Promise<ErasedGuest> {
    const erased: ErasedGuest = { anonymousUserId, sessionIds: [], tickets: 0, idempotencyKeys: 0, transferLink: undefined };
    for (const id of this.sessionsOf(anonymousUserId)) {
      for (const t of this.ticketsOf.get(id) ?? []) if (this.maps.tickets.delete(t)) erased.tickets++;
      for (const k of this.keysOf.get(id) ?? []) if (this.maps.tickets.delete(`i:${k}`)) erased.idempotencyKeys++;
      this.maps.entries.delete(id);
      this.forget(id, anonymousUserId);
      erased.sessionIds.push(id);
    }
    const link = this.maps.links.get(anonymousUserId);
    if (link) {
      this.maps.links.delete(anonymousUserId);
      this.linksOf.get(link.link.userId)?.delete(anonymousUserId);
      erased.transferLink = { ...link.link };
    }
    return erased;
  }

  async eraseTransferLinksOf(userId: string): Promise<string[]> {
    const erased: string[] = [];
    for (const anonymousUserId of this.linksOf.get(userId) ?? []) {
      const entry = this.maps.links.get(anonymousUserId);
      if (entry?.link.userId !== userId) continue;
      this.maps.links.delete(anonymousUserId);
      erased.push(anonymousUserId);
    }
    this.linksOf.delete(userId);
    return erased;
  }

  /** Pages over anonymous users in insertion order; the cursor is the number of users already returned. */
  async listGuests(cursor: string | undefined, limit: number): Promise<GuestPage> {
    const start = cursor === undefined ? 0 : Number(cursor);
    const guests: GuestSessions[] = [];
    let i = 0;
    for (const userId of this.byUser.keys()) {
      if (i++ < start) continue;
      guests.push({ anonymousUserId: userId, sessions: this.sessionRecords(userId) });
      if (guests.length === limit) break;
    }
    const next = start + guests.length;
    return { guests, cursor: next < this.byUser.size ? String(next) : undefined };
  }

  async countGuests(): Promise<GuestCount> {
    let sessions = 0;
    for (const s of this.byUser.values()) sessions += typeof s === 'string' ? 1 : s.size;
    return { guests: this.byUser.size, sessions };
  }

  async countSessions(now: number): Promise<SessionCount> {
    const count: SessionCount = { sessions: 0, active: 0, revoked: 0, transferred: 0, expired: 0 };
    const tally = (r: AnonymousSessionRecord) => {
      count.sessions++;
      count[r.state]++;
      if (r.expiresAt <= now) count.expired++;
    };
    for (const { record } of this.maps.entries.values()) tally(record);
    for (const { record } of this.graveyard.values()) tally(record);
    return count;
  }

  async scrub(sessionId: string): Promise<AnonymousSessionRecord | undefined> {
    const entry = this.maps.entries.get(sessionId) ?? this.graveyard.get(sessionId);
    if (!entry) return undefined;
    if (entry.record.state !== 'active') {
      entry.record = { ...entry.record, metadata: '{}' };
      if ('updateIds' in entry) delete entry.updateIds;
    }
    return { ...entry.record };
  }

  async claimExpired(_bucket: string, now: number, limit: number, leaseMs: number): Promise<ExpiredClaim | undefined> {
    this.buryExpired(now);
    const expired: ExpiredCandidate[] = [];
    const held: Buried[] = [];
    for (const b of this.graveyard.values()) {
      if (b.dueAt > now || b.leaseUntil > now) continue;
      expired.push({ record: { ...b.record }, attempts: b.attempts });
      held.push(b);
      if (expired.length === limit) break;
    }
    if (expired.length === 0) return undefined;
    const claim = new MemoryClaim(expired);
    for (const b of held) {
      b.leaseUntil = now + leaseMs;
      b.claim = claim;
    }
    return claim;
  }

  async renewExpiredClaim(claim: ExpiredClaim, leaseMs: number): Promise<boolean> {
    const now = this.options.clock();
    let held = false;
    for (const { record } of claim.expired) {
      const b = this.graveyard.get(record.sessionId);
      if (b?.claim === claim) {
        b.leaseUntil = now + leaseMs;
        held = true;
      }
    }
    return held;
  }

  async completeExpired(claim: ExpiredClaim, outcome: ExpiredOutcome): Promise<boolean> {
    let held = false;
    for (const id of outcome.delivered) {
      const b = this.graveyard.get(id);
      if (b?.claim !== claim) continue;
      held = true;
      this.forget(id, b.record.userId);
    }
    for (const { sessionId, retryAt } of outcome.failed) {
      const b = this.graveyard.get(sessionId);
      if (b?.claim !== claim) continue;
      held = true;
      Object.assign(b, { attempts: b.attempts + 1, dueAt: retryAt, leaseUntil: 0, claim: undefined });
    }
    return held || (outcome.delivered.length === 0 && outcome.failed.length === 0);
  }

  async countExpired(now: number): Promise<number> {
    this.buryExpired(now);
    let n = 0;
    for (const b of this.graveyard.values()) if (b.dueAt <= now && b.leaseUntil <= now) n++;
    return n;
  }
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}
