import type { ActiveRecord, AnonymousSessionRecord } from '../session/record';
import type {
  ErasedGuest,
  ExpiredClaim,
  ExpiredOutcome,
  GuestCount,
  GuestLifecycleStore,
  GuestPage,
  GuestSessions,
  SessionCount,
} from './lifecycle';
import type { TransferLink } from './types';
import { EXPIRY_SLOT_MS, INDEX_BUCKETS, bucketOf, slotOf, userHash } from './lifecycle';
import { CREATE } from './redis-scripts';
import * as s from './redis-lifecycle-scripts';
import { scanKeys } from './redis-scan';
import { Buckets, split, type IndexHost } from './redis-buckets';
import { RedisExpiry } from './redis-expiry';

/**
 * `RedisStore.guests`: the index by anonymous user id and the expiry index (see redis-lifecycle-scripts.ts for the
 * keys). Bucket scripts keep to one slot; reading and deleting session records takes one multi-key script per 500
 * sessions on standalone Redis, one script per session (pipelined) on a cluster.
 */
export class RedisGuests implements GuestLifecycleStore {
  private readonly buckets: Buckets;
  private readonly expiry: RedisExpiry;
  readonly expiryBuckets: readonly string[];

  constructor(private readonly host: IndexHost) {
    this.buckets = new Buckets(host);
    this.expiry = new RedisExpiry(this.buckets);
    this.expiryBuckets = this.buckets.names;
  }

  get closed(): boolean {
    return this.host.closed();
  }

  claimExpired(bucket: string, now: number, limit: number, leaseMs: number): Promise<ExpiredClaim | undefined> {
    return this.expiry.claimExpired(bucket, now, limit, leaseMs);
  }

  renewExpiredClaim(claim: ExpiredClaim, leaseMs: number): Promise<boolean> {
    return this.expiry.renewExpiredClaim(claim, leaseMs);
  }

  completeExpired(claim: ExpiredClaim, outcome: ExpiredOutcome, now: number): Promise<boolean> {
    return this.expiry.completeExpired(claim, outcome, now);
  }

  countExpired(now: number): Promise<number> {
    return this.expiry.countExpired(now);
  }

  /** Keys and arguments of INDEX_ADD for a new record. */
  filing(r: AnonymousSessionRecord): { keys: string[]; args: string[] } {
    const hash = userHash(r.userId);
    const k = this.keys(bucketOf(hash));
    const args = [hash, r.sessionId, String(slotOf(r.expiresAt)), String(Math.floor(r.lastSeenAt / EXPIRY_SLOT_MS)), k.q];
    return { keys: [k.u, k.m], args };
  }

  async create(r: ActiveRecord, createArgs: string[]): Promise<boolean> {
    const filing = this.filing(r);
    if (this.host.cluster) {
      // Indexed first: a crash in between leaves an index entry without a session (dropped when read), never a
      // session nobody can find or erase.
      await this.host.run(s.INDEX_ADD, filing.keys, filing.args);
      return (await this.host.run(CREATE, [this.host.key(r.sessionId)], createArgs)) === 1;
    }
    return (await this.host.run(s.CREATE_INDEXED, [this.host.key(r.sessionId), ...filing.keys], [...createArgs, ...filing.args])) === 1;
  }

  async findSessions(anonymousUserId: string): Promise<AnonymousSessionRecord[]> {
    const hash = userHash(anonymousUserId);
    const ids = split(await this.host.run(s.LOOKUP, [this.keys(bucketOf(hash)).u], [hash]));
    const stored = await this.read(ids);
    return ids.map((id) => stored.get(id)?.record).filter((r): r is AnonymousSessionRecord => r?.userId === anonymousUserId);
  }

  async eraseGuest(anonymousUserId: string): Promise<ErasedGuest> {
    const { prefix, run } = this.hostFns();
    const erased: ErasedGuest = { anonymousUserId, sessionIds: [], tickets: 0, idempotencyKeys: 0, transferLink: undefined };
    const hash = userHash(anonymousUserId);
    const k = this.keys(bucketOf(hash));
    for (const id of split(await run(s.LOOKUP, [k.u], [hash]))) {
      const key = this.host.key(id);
      const notes = (await run(s.ERASE_SESSION, [key, `${key}:i`, `${key}:t`], [anonymousUserId])) as string[] | null;
      if (!notes) continue; // another user sharing the 48-bit hash, or already gone
      erased.sessionIds.push(id);
      const [idempotencyKey, ...tickets] = notes;
      if (idempotencyKey) erased.idempotencyKeys += Number(await run(s.DELETE_IF_NAMES, [`${prefix}i:{${idempotencyKey}}`], [id]));
      for (const t of tickets) erased.tickets += Number(await run(s.DELETE_IF_NAMES, [`${prefix}t:{${t}}`], [id]));
    }
    if (erased.sessionIds.length > 0) await run(s.UNINDEX, [k.u, k.m], [hash, ...erased.sessionIds]);
    const link = await run(s.ERASE_LINK, [linkKey(prefix, anonymousUserId)], ['']);
    if (typeof link === 'string') {
      erased.transferLink = JSON.parse(link) as TransferLink;
      await run(s.REMOVE_MEMBER, [linksOfKey(prefix, erased.transferLink.userId)], [anonymousUserId]);
    }
    return erased;
  }

  async eraseTransferLinksOf(userId: string): Promise<string[]> {
    const { prefix, run } = this.hostFns();
    const erased: string[] = [];
    for (const anonymousUserId of (await run(s.TAKE_MEMBERS, [linksOfKey(prefix, userId)], [])) as string[]) {
      if (typeof (await run(s.ERASE_LINK, [linkKey(prefix, anonymousUserId)], [userId])) === 'string') erased.push(anonymousUserId);
    }
    return erased;
  }

  /** Records a transfer link under its real user, so `eraseTransferLinksOf` finds it. */
  async noteLink(link: TransferLink, expiresAt: number): Promise<void> {
    await this.host.run(s.NOTE_MEMBER, [linksOfKey(this.host.prefix, link.userId)], [link.anonymousUserId, String(expiresAt)]);
  }

  /** Cursor `<bucket>.<hscan cursor>`: HSCAN over each bucket of the user index in turn. */
  async listGuests(cursor: string | undefined, limit: number): Promise<GuestPage> {
    let [bucket, position] = (cursor ?? '0.0').split('.').map(Number);
    const ids: string[] = [];
    while (bucket < INDEX_BUCKETS && ids.length < limit) {
      const [next, values] = (await this.host.run(s.SCAN_USERS, [this.keys(bucket).u], [String(position), String(limit)])) as [string, string[]];
      for (const v of values) ids.push(...split(v));
      position = Number(next);
      if (position === 0) bucket++;
    }
    const stored = await this.read(ids);
    const byUser = new Map<string, GuestSessions>();
    for (const id of ids) {
      const record = stored.get(id)?.record;
      if (!record) continue;
      let guest = byUser.get(record.userId);
      if (!guest) byUser.set(record.userId, (guest = { anonymousUserId: record.userId, sessions: [] }));
      guest.sessions.push(record);
    }
    return { guests: [...byUser.values()], cursor: bucket < INDEX_BUCKETS ? `${bucket}.${position}` : undefined };
  }

  async countGuests(): Promise<GuestCount> {
    const counts = await Promise.all(this.buckets.names.map((b) => this.host.run(s.COUNT_BUCKET, [this.keys(b).u, this.keys(b).m], []) as Promise<[number, number]>));
    return counts.reduce((sum, [guests, sessions]) => ({ guests: sum.guests + guests, sessions: sum.sessions + sessions }), { guests: 0, sessions: 0 });
  }

  async countSessions(now: number): Promise<SessionCount> {
    const count: SessionCount = { sessions: 0, active: 0, revoked: 0, transferred: 0, expired: 0 };
    await scanKeys(this.host.client, sessionPattern(this.host.prefix), async (keys) => {
      for (const [st, e] of (await this.buckets.multi(s.STATES, keys, [])) as Array<[string | null, string | null]>) {
        if (st !== 'active' && st !== 'revoked' && st !== 'transferred') continue;
        count.sessions++;
        count[st]++;
        if (Number(e) <= now) count.expired++;
      }
    });
    return count;
  }

  /**
   * Files every stored session that the index does not know (records written before the index existed) and
   * extends its life to `expiresAt + grace`. Idempotent; walks the keyspace with SCAN on each node.
   */
  async reindex(): Promise<{ scanned: number; indexed: number }> {
    const result = { scanned: 0, indexed: 0 };
    await scanKeys(this.host.client, sessionPattern(this.host.prefix), async (keys) => {
      const ids = keys.map((k) => k.slice(this.host.prefix.length + 3, -1));
      const stored = await this.read(ids);
      for (const id of ids) {
        const record = stored.get(id)?.record;
        if (!record) continue;
        result.scanned++;
        const filing = this.filing(record);
        result.indexed += Number(await this.host.run(s.INDEX_ADD, filing.keys, filing.args));
        await this.host.run(s.KEEP_UNTIL, [this.host.key(id)], [String(record.expiresAt + this.host.graceMs)]);
      }
    });
    return result;
  }

  async scrub(sessionId: string): Promise<AnonymousSessionRecord | undefined> {
    const flat = (await this.host.run(s.SCRUB, [this.host.key(sessionId)], [])) as string[];
    return flat.length === 0 ? undefined : this.host.toRecord(sessionId, flat);
  }

  private keys(bucket: number | string) {
    return this.buckets.keys(bucket);
  }

  private read(ids: string[]) {
    return this.buckets.read(ids);
  }

  private hostFns(): { prefix: string; run: IndexHost['run'] } {
    return { prefix: this.host.prefix, run: (script, keys, args) => this.host.run(script, keys, args) };
  }
}

export function linkKey(prefix: string, anonymousUserId: string): string {
  return `${prefix}x:{${Buffer.from(anonymousUserId).toString('base64url')}}`;
}

function linksOfKey(prefix: string, userId: string): string {
  return `${prefix}xu:{${Buffer.from(userId).toString('base64url')}}`;
}

/** SCAN pattern of session keys (`<prefix>s:{<id>}`, not their notes `…}:i` and `…}:t`). */
function sessionPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, '\\$&')}s:{*}`;
}
