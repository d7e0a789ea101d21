import type { AnonymousStore } from '../store/types';
import type { ErasedGuest, GuestCount, GuestLifecycleStore, GuestPage, SessionCount } from '../store/lifecycle';
import type { Reaper, ReapReport } from '../lifecycle/reaper';
import type { GuestExport, GuestRecord } from './export';
import { MisconfiguredError } from '../errors';
import { toExport } from './export';
import { guestSessionOf } from '../session/record';

export interface ListOptions {
  /** From the previous page; omit for the first. */
  cursor?: string;
  /** Guests per page, about (a page may hold a few more). Default 100, at most 1000. */
  limit?: number;
}

export interface ReapOptions {
  /** Count what would be handed out, change nothing. */
  dryRun?: boolean;
  /** Stop after this many records. */
  limit?: number;
}

/**
 * `anon.admin`: find, export and erase guests by anonymous user id (data rights), page through and count them, and
 * run the reaper by hand. On a RedisStore every operation is global: all processes see its effect at once.
 *
 * @example
 * app.get('/privacy/export', requireGuest, async (req, res) => res.json(await anon.admin.export(req.anonymous!.id)));
 * app.post('/privacy/erase', requireGuest, async (req, res) => res.json(await anon.admin.erase(req.anonymous!.id)));
 */
export interface AnonymousAdmin {
  /** The guest's sessions (any state, with metadata) and its transfer link; undefined when nothing is stored. */
  find(anonymousUserId: string): Promise<GuestRecord | undefined>;
  /** Everything stored about the guest, as plain JSON (right of access); undefined when nothing is stored. */
  export(anonymousUserId: string): Promise<GuestExport | undefined>;
  /**
   * Deletes every session, transfer ticket, creation idempotency entry and the transfer link of the guest, at once
   * (right to erasure). Its session tokens stop working, and its access tokens wherever `checkRevocation` is on.
   */
  erase(anonymousUserId: string): Promise<ErasedGuest>;
  /** Deletes the transfer links into a real user who leaves; answers the anonymous ids they came from. */
  eraseLinksOf(userId: string): Promise<string[]>;
  /** A page of guests; pass `cursor` back for the next one (undefined on the last page). */
  list(options?: ListOptions): Promise<GuestPage>;
  /** Guests and sessions, from the index: cheap enough for a dashboard. */
  count(): Promise<GuestCount>;
  /** Every stored session by state, walking the records (SCAN on each Redis node): for audits, not dashboards. */
  countSessions(): Promise<SessionCount>;
  /** One reaper pass now (the in-app reaper does this every `lifecycle.reaper.interval`); `dryRun` only counts. */
  reap(options?: ReapOptions): Promise<ReapReport>;
}

export interface AdminDependencies {
  store: AnonymousStore;
  lifecycle: GuestLifecycleStore | undefined;
  reaper: Reaper | undefined;
  clock: () => number;
}

/** The implementation behind `anon.admin`. */
export class AdminService implements AnonymousAdmin {
  constructor(private readonly deps: AdminDependencies) {}

  async find(anonymousUserId: string): Promise<GuestRecord | undefined> {
    const anonymous = id(anonymousUserId);
    const [sessions, transferLink] = await Promise.all([this.lifecycle().findSessions(anonymous), this.deps.store.getTransferLink(anonymous)]);
    if (sessions.length === 0 && !transferLink) return undefined;
    return { anonymousUserId, sessions: sessions.sort((a, b) => a.createdAt - b.createdAt).map((r) => guestSessionOf(r)), transferLink };
  }

  async export(anonymousUserId: string): Promise<GuestExport | undefined> {
    const guest = await this.find(anonymousUserId);
    return guest && toExport(guest, this.deps.clock());
  }

  async erase(anonymousUserId: string): Promise<ErasedGuest> {
    return this.lifecycle().eraseGuest(id(anonymousUserId));
  }

  async eraseLinksOf(userId: string): Promise<string[]> {
    return this.lifecycle().eraseTransferLinksOf(id(userId, 'userId'));
  }

  async list(options: ListOptions = {}): Promise<GuestPage> {
    const limit = options.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw new TypeError('list(): limit must be an integer from 1 to 1000');
    if (options.cursor !== undefined && typeof options.cursor !== 'string') throw new TypeError('list(): cursor must be a string');
    return this.lifecycle().listGuests(options.cursor, limit);
  }

  async count(): Promise<GuestCount> {
    return this.lifecycle().countGuests();
  }

  async countSessions(): Promise<SessionCount> {
    return this.lifecycle().countSessions(this.deps.clock());
  }

  async reap(options: ReapOptions = {}): Promise<ReapReport> {
    this.lifecycle();
    const reaper = this.deps.reaper!;
    return options.dryRun ? reaper.dryRun() : reaper.run(options.limit);
  }

  private lifecycle(): GuestLifecycleStore {
    if (!this.deps.lifecycle) {
      throw new MisconfiguredError('anon.admin needs a store with `guests` (GuestLifecycleStore): MemoryStore and RedisStore have it');
    }
    return this.deps.lifecycle;
  }
}

function id(value: unknown, name = 'anonymousUserId'): string {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`${name} must be a non-empty string`);
  return value;
}
