import { randomUUID } from 'node:crypto';
import type { ActiveRecord, AnonymousSessionRecord } from '../session/record';
import type { Script } from './redis-scripts';
import type {
  ErasedGuest,
  ExpiredCandidate,
  ExpiredClaim,
  ExpiredOutcome,
  GuestCount,
  GuestPage,
  GuestSessions,
  SessionCount,
} from './lifecycle';
import type { TransferLink } from './types';
import { EXPIRY_SLOT_MS, INDEX_BUCKETS, bucketOf, slotOf, userHash } from './lifecycle';
import { CREATE } from './redis-scripts';
import * as s from './redis-lifecycle-scripts';
import { scanKeys } from './redis-scan';

/** What the index needs from its RedisStore. */
export interface IndexHost {
  readonly prefix: string;
  /** Whether scripts must keep to one cluster slot (a cluster client, or a proxy that refuses cross-slot scripts). */
  readonly cluster: boolean;
  readonly graceMs: number;
  readonly client: unknown;
  run(script: Script, keys: string[], args: string[]): Promise<unknown>;
  key(sessionId: string): string;
  toRecord(sessionId: string, flat: string[]): AnonymousSessionRecord;
}

/** Slots a claim may walk past when the reaper has been away (a day of 10-minute slots). */
const WALK_LIMIT = 144;
/** Keys per multi-key script on standalone Redis: keeps each script well under a millisecond or two. */
const CHUNK = 500;

interface BucketKeys {
  u: string;
  m: string;
  l: string;
  w: string;
  q: string;
}

interface Stored {
  record: AnonymousSessionRecord | undefined;
  attempts: number;
}

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
 * The RedisStore's index by anonymous user id and its expiry index (see redis-lifecycle-scripts.ts for the keys).
 * Bucket scripts keep to one slot; reading and deleting session records takes one multi-key script per 500 sessions
 * on standalone Redis, one script per session (pipelined) on a cluster.
 */
export class RedisGuestIndex {
  readonly buckets: readonly string[] = Array.from({ length: INDEX_BUCKETS }, (_, b) => String(b));
  private readonly bucketKeys: ReadonlyArray<BucketKeys>;

  constructor(private readonly host: IndexHost) {
    this.bucketKeys = this.buckets.map((b) => {
      const t = `${host.prefix}b:{${b}}:`;
      return { u: `${t}u`, m: `${t}m`, l: `${t}l`, w: `${t}w`, q: `${t}q:` };
    });
  }

  keys(bucket: number | string): BucketKeys {
    return this.bucketKeys[Number(bucket)];
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
    const counts = await Promise.all(this.buckets.map((b) => this.host.run(s.COUNT_BUCKET, [this.keys(b).u, this.keys(b).m], []) as Promise<[number, number]>));
    return counts.reduce((sum, [guests, sessions]) => ({ guests: sum.guests + guests, sessions: sum.sessions + sessions }), { guests: 0, sessions: 0 });
  }

  async countSessions(now: number): Promise<SessionCount> {
    const count: SessionCount = { sessions: 0, active: 0, revoked: 0, transferred: 0, expired: 0 };
    await scanKeys(this.host.client, sessionPattern(this.host.prefix), async (keys) => {
      for (const [st, e] of (await this.multi(s.STATES, keys, [])) as Array<[string | null, string | null]>) {
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

  async claimExpired(bucket: string, now: number, limit: number, leaseMs: number): Promise<ExpiredClaim | undefined> {
    const k = this.keys(bucket);
    const token = randomUUID();
    const args = [token, String(leaseMs), String(Math.floor(now / EXPIRY_SLOT_MS)), String(limit), k.q, String(WALK_LIMIT)];
    const reply = (await this.host.run(s.CLAIM, [k.l, k.w, k.m, k.u], args)) as unknown[];
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
    for (const b of this.buckets) {
      const k = this.keys(b);
      let from: string[] = ['0', '0'];
      for (;;) {
        const [slot, offset, ...values] = (await this.host.run(s.PEEK_DUE, [k.m, k.u], [nowSlot, from[0], from[1], String(CHUNK), k.q])) as [number, number, ...string[]];
        for (const v of values) for (const id of split(v)) ids.add(id);
        if (Number(slot) === -1) break;
        from = [String(slot), String(offset)];
      }
    }
    let n = 0;
    for (const [, { record }] of await this.read([...ids])) if (record && record.expiresAt <= now) n++;
    return n;
  }

  /** Records and failed-delivery counts by session id (missing ones map to an undefined record). */
  private async read(ids: string[]): Promise<Map<string, Stored>> {
    const replies = ids.length === 0 ? [] : await this.multi(s.READ_MANY, ids.map((id) => this.host.key(id)), [], true);
    const flats = replies.map((r) => (Array.isArray(r) ? (r as string[]) : [])); // cjson writes an empty table as {}
    const out = new Map<string, Stored>();
    ids.forEach((id, i) => {
      const flat = flats[i] ?? [];
      const rt = flat.indexOf('rt');
      out.set(id, { record: flat.length === 0 ? undefined : this.host.toRecord(id, flat), attempts: rt >= 0 && rt % 2 === 0 ? Number(flat[rt + 1]) : 0 });
    });
    return out;
  }

  /**
   * A script that loops over KEYS: one call per chunk on standalone Redis, one per key (pipelined) on a cluster.
   * With `json`, the script answers one JSON array (cjson) instead of a nested reply.
   */
  private async multi(script: Script, keys: string[], args: string[], json = false): Promise<unknown[]> {
    const call = async (chunk: string[]) => {
      const reply = await this.host.run(script, chunk, args);
      return json ? (JSON.parse(String(reply)) as unknown[]) : (reply as unknown[]);
    };
    if (this.host.cluster) return (await Promise.all(keys.map((key) => call([key])))).map((r) => r[0]);
    const out: unknown[] = [];
    for (let i = 0; i < keys.length; i += CHUNK) out.push(...(await call(keys.slice(i, i + CHUNK))));
    return out;
  }

  private hostFns(): { prefix: string; run: IndexHost['run'] } {
    return { prefix: this.host.prefix, run: (script, keys, args) => this.host.run(script, keys, args) };
  }
}

function split(value: unknown): string[] {
  return typeof value === 'string' && value.length > 0 ? value.split(' ') : [];
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
