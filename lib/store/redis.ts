import { randomBytes } from 'node:crypto';
import type { ActiveRecord, AnonymousSessionRecord } from '../session/record';
import type { AccountLeaseRequest, AccountLeaseResult, AnonymousStore, CasResult, ClaimRequest, ClaimResult, HitCount, ReplicationAck, RotationResult, TransferLink } from './types';
import type { GuestLifecycleStore } from './lifecycle';
import { ConfigurationError, StoreUnavailableError } from '../errors';
import { boolean, integerInRange, nonEmptyString, optionsObject, positiveInteger, show } from '../config/validate';
import * as scripts from './redis-scripts';
import * as lifecycleScripts from './redis-lifecycle-scripts';
import { isServerError, resolveWait, sendWait, type WaitForReplicas } from './redis-replies';
import { NOTE_MEMBER, NOTE_VALUE } from './redis-lifecycle-scripts';
import { RedisGuests } from './redis-guests';
import { isClusterClient } from './redis-scan';
import { reservedSession } from './types';
import { Deadlines } from './deadlines';
import { RedisReadCache, readCacheTiming, type ReadCacheStats, type TrackingClient } from './redis-read-cache';

export type { WaitForReplicas } from './redis-replies';
export type { ReadCacheStats } from './redis-read-cache';

/**
 * The part of a node-redis client (v5+) this store uses: `createClient()` and `createCluster()` both fit,
 * so pass the same client you give connect-redis.
 */
export interface RedisScriptClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** node-redis's readiness flag; when present and false, operations fail fast instead of queueing. */
  readonly isReady?: boolean;
  /**
   * Raw commands, for `waitForReplicas` only (`WAIT`): `sendCommand(args)` on a client, `sendCommand(firstKey,
   * isReadonly, args)` on a cluster client, which routes it to the master of the key's slot.
   */
  sendCommand?: (...args: never[]) => Promise<unknown>;
}

export interface RedisStoreOptions {
  /** A connected node-redis client or cluster client. Give it an `error` listener, or it crashes the process. */
  client: RedisScriptClient;
  /** Key prefix. Default `"eas:"`. Keys are `<prefix>s:{<sessionId>}`, hash-tagged for Redis Cluster. */
  prefix?: string;
  /** Milliseconds an operation may take before the request gets a 503 (it comes within 1.25 × this). Default 1000. */
  timeout?: number;
  /** Seconds clients are told to wait (`Retry-After`) during an outage. Default 5. */
  retryAfter?: number;
  /**
   * Makes a completed transfer survive a failover: after marking the guest transferred, `WAIT` until this many
   * replicas have it before the login is answered. Default off: Redis replicates asynchronously, and a master that
   * dies right after acknowledging can lose the completion (docs/scaling.md, "Failover").
   */
  waitForReplicas?: WaitForReplicas;
  /**
   * Seconds a record outlives its expiry in Redis, so the reaper can hand the final record to `expired` listeners
   * (the reaper deletes it as soon as they resolve; this is the backstop when no reaper runs). Default 86400.
   */
  grace?: number;
  /**
   * Keep every script to one cluster slot. Default: true for a `createCluster()` client. Set it for a proxy that
   * shards a single endpoint and refuses cross-slot scripts.
   */
  cluster?: boolean;
  /**
   * Keep the records this process reads, so a returning guest costs no Redis round trip: Redis client-side caching
   * (RESP3 `CLIENT TRACKING`) on a second connection, `client.duplicate()`, over which Redis reports every change to
   * a record this process holds and the store drops it. This process's own writes are seen at once; another process's
   * one network hop after Redis applies them (a revocation, a transfer), and never later than `maxStaleness`
   * milliseconds (default 1,000), even on a connection that silently stopped delivering. Needs Redis 6+ and a
   * `createClient()` client (not a cluster, a pool or `client.legacy()`). `{ maxEntries, maxStaleness }` set the
   * bound (10,000 records) and the staleness. Default: on for a `createClient()` client (a server that refuses
   * tracking turns it off with one warning), off for the others; `true` makes a client it cannot use an error,
   * `false` reads every record from Redis on every request.
   */
  cache?: boolean | { maxEntries?: number; maxStaleness?: number };
  /** Where the read cache reports a lost or refused connection. Default: `process.emitWarning` (`RedisStoreCacheWarning`). */
  logger?: { warn(message: string): void };
}

/**
 * Anonymous sessions in Redis: one hash per session, every change an atomic Lua script on that one key, filed in an
 * expiry index the reaper walks (Redis's TTL at `expiresAt` + `grace` is the backstop). Works with Redis Cluster.
 *
 * @example
 * const client = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true });
 * client.on('error', (err) => console.error('redis', err));
 * await client.connect();
 * const anon = anonymousSessions({ issuer, audience, store: new RedisStore({ client }) });
 */
export class RedisStore implements AnonymousStore {
  private readonly client: RedisScriptClient;
  private readonly prefix: string;
  private readonly timeout: number;
  private readonly replication: Required<WaitForReplicas> | undefined;
  private readonly deadlines: Deadlines;
  /** Seconds clients are told to wait during an outage. */
  readonly retryAfter: number;
  private readonly graceMs: number;
  private readonly index: RedisGuests;
  /** Find, erase, count guests and reap them (`anon.admin`, the reaper): the indexes, in redis-guests.ts. */
  readonly guests: GuestLifecycleStore;
  private readonly cache: RedisReadCache<AnonymousSessionRecord> | undefined;
  /** A read through the cache's connection waits at most a quarter of `timeout`, then goes the ordinary way. */
  private readonly cacheDeadlines: Deadlines;

  constructor(options: RedisStoreOptions) {
    for (const key of ['maxEntries', 'maxStaleness'] as const) {
      if (options !== null && typeof options === 'object' && key in options) throw new ConfigurationError(`RedisStore.${key}`, `belongs inside cache: new RedisStore({ client, cache: { ${key}: … } })`);
    }
    const o = optionsObject(options, 'RedisStore', ['client', 'prefix', 'timeout', 'retryAfter', 'waitForReplicas', 'grace', 'cluster', 'cache', 'logger']);
    const client = o.client;
    if (!client || typeof client.evalSha !== 'function' || typeof client.eval !== 'function') {
      throw new ConfigurationError('RedisStore.client', 'must be a node-redis (v5+) client or cluster client');
    }
    if ((client as { constructor?: { name?: string } }).constructor?.name === 'RedisLegacyClient') {
      throw new ConfigurationError('RedisStore.client', 'is a client.legacy() (callbacks): pass the createClient() client it wraps (promises)');
    }
    this.client = client;
    this.prefix = nonEmptyString(o.prefix ?? 'eas:', 'RedisStore.prefix');
    // Redis names keys in UTF-8: a lone surrogate would come back as another key (and never match an invalidation).
    if (LONE_SURROGATE.test(this.prefix)) throw new ConfigurationError('RedisStore.prefix', 'must be well-formed Unicode (it holds a lone surrogate)');
    this.timeout = positiveInteger(o.timeout ?? 1000, 'RedisStore.timeout');
    this.retryAfter = positiveInteger(o.retryAfter ?? 5, 'RedisStore.retryAfter');
    this.deadlines = new Deadlines(this.timeout, () => new StoreUnavailableError('The anonymous session store timed out', this.retryAfter));
    this.replication = o.waitForReplicas === undefined ? undefined : resolveWait(o.waitForReplicas, client, this.timeout);
    this.graceMs = integerInRange(o.grace ?? 86_400, 'RedisStore.grace', 0, 30 * 86_400) * 1000;
    const cluster = boolean(o.cluster ?? isClusterClient(client), 'RedisStore.cluster');
    if (o.logger !== undefined && typeof o.logger?.warn !== 'function') throw new ConfigurationError('RedisStore.logger', 'must have a warn(message) method');
    this.cache = readCache(o.cache, client, cluster, warner(o.logger), this.prefix);
    if (this.cache !== undefined) dropped.register(this, this.cache); // a store the app let go of closes its connection
    const slow = Math.max(1, Math.floor(this.timeout / 4));
    this.cacheDeadlines = new Deadlines(slow, () => new CacheReadTimeout(`no reply within ${slow} ms`));
    this.guests = this.index = new RedisGuests({
      prefix: this.prefix,
      cluster,
      graceMs: this.graceMs,
      client,
      // Closed by the app (`close()`/`destroy()`), not merely disconnected: nothing will reach Redis again.
      closed: () => (client as { isOpen?: boolean }).isOpen === false,
      run: (script, keys, args) => this.runKeys(script, keys, args),
      key: (sessionId) => this.key(sessionId),
      toRecord,
    });
  }

  /** The Redis key of a session; the `{…}` hash tag keeps all of a session's keys on one cluster slot. */
  key(sessionId: string): string {
    return `${this.prefix}s:{${sessionId}}`;
  }

  async create(r: ActiveRecord): Promise<boolean> {
    const args = [r.userId, r.createdAt, r.lastSeenAt, r.expiresAt, r.absoluteExpiresAt, r.metadata, r.expiresAt + this.graceMs].map(String);
    return this.index.create(r, args); // the record and its index entries (one script on standalone Redis)
  }

  async get(sessionId: string): Promise<AnonymousSessionRecord | undefined> {
    const cache = this.cache;
    if (cache !== undefined) {
      const key = this.key(sessionId);
      let record = cache.peek(key);
      if (record === undefined) {
        let loaded: AnonymousSessionRecord | undefined | null;
        try {
          loaded = await this.cacheDeadlines.bound(cache.load(key, (hash) => hashToRecord(sessionId, hash)));
        } catch (err) {
          // A failed read: the connection is replaced in the background. A slow one only goes the ordinary way (an
          // event-loop stall or a busy Redis is no reason to reconnect; a dead connection is the ping's to find).
          if (!(err instanceof CacheReadTimeout)) cache.failed(err);
          loaded = null;
        }
        if (loaded === null) return this.read(sessionId);
        record = loaded;
      }
      return record && record.expiresAt > Date.now() ? { ...record } : undefined; // a copy: callers may change theirs
    }
    return this.read(sessionId);
  }

  /** How the read cache (`cache`) is doing; `enabled: false` (and zeros) when it is off. */
  cacheStats(): ReadCacheStats {
    return this.cache?.stats() ?? { enabled: false, hits: 0, misses: 0, entries: 0, tracking: false };
  }

  /** Closes the read cache's connection (`cache`); the client you passed in is yours to close. */
  async close(): Promise<void> {
    this.cache?.close();
  }

  private async read(sessionId: string): Promise<AnonymousSessionRecord | undefined> {
    const flat = JSON.parse((await this.run(scripts.GET, sessionId, [])) as string) as string[] | Record<string, never>;
    const record = Array.isArray(flat) ? toRecord(sessionId, flat) : undefined; // cjson writes a missing hash as {}
    // Past its expiry a record waits (for up to `grace`) for the reaper: unknown to every reader, as in the MemoryStore.
    return record && record.expiresAt > Date.now() ? record : undefined;
  }

  async touch(sessionId: string, lastSeenAt: number, expiresAt: number): Promise<boolean> {
    return (await this.run(scripts.TOUCH, sessionId, [String(lastSeenAt), String(expiresAt), String(expiresAt + this.graceMs)])) === 1;
  }

  async compareAndSetMetadata(
    sessionId: string,
    expectedVersion: number,
    metadata: string,
    now: number,
    updateId = '',
  ): Promise<CasResult> {
    const reply = await this.run(scripts.CAS_METADATA, sessionId, [String(expectedVersion), metadata, String(now), updateId]);
    if (Array.isArray(reply)) return { status: 'duplicate', version: Number(reply[1]) };
    const code = Number(reply);
    if (code >= 0) return { status: 'ok', version: code };
    return { status: (['missing', 'ended', 'busy', 'conflict'] as const)[-code - 1] };
  }

  async revoke(sessionId: string, at: number): Promise<boolean> {
    return (await this.run(scripts.REVOKE, sessionId, [String(at)])) === 1;
  }

  async rotateTokenGeneration(sessionId: string, expected: number, now: number): Promise<RotationResult> {
    const reply = (await this.run(scripts.ROTATE, sessionId, [String(expected), String(now)])) as number[];
    const [code, generation, rotatedAt] = reply.map(Number);
    if (code === -1) return { status: 'missing' };
    if (code === -2) return { status: 'ended' };
    if (code === -3) return { status: 'stale', generation, rotatedAt };
    return { status: 'rotated', generation: code };
  }

  async claim(sessionId: string, request: ClaimRequest): Promise<ClaimResult> {
    const args = [request.token, request.userId, String(request.leaseUntil), String(request.now)];
    const reply = (await this.run(scripts.CLAIM, sessionId, args)) as [string, ...unknown[]];
    switch (reply[0]) {
      case 'claimed':
        return { status: 'claimed', record: toRecord(sessionId, reply[1] as string[]) as ActiveRecord };
      case 'pending':
        return { status: 'pending', userId: String(reply[1]) };
      case 'transferred':
        return { status: 'transferred', userId: String(reply[1]), at: Number(reply[2]) };
      case 'revoked':
        return { status: 'revoked' };
      default:
        return { status: 'missing' };
    }
  }

  async completeClaim(sessionId: string, token: string, at: number): Promise<boolean> {
    return (await this.run(scripts.COMPLETE_CLAIM, sessionId, [token, String(at)])) === 1;
  }

  /**
   * With `waitForReplicas`: `WAIT` on the connection that completed the transfer (on a cluster, the slot's master;
   * `WAIT` counts the replicas that have every write this connection made so far). A shortfall is answered (the
   * transfer logs it), or with `onShortfall: 'fail'` rejected as a 503: the write is on the master only.
   */
  async awaitReplication(sessionId: string): Promise<ReplicationAck | undefined> {
    if (!this.replication) return undefined;
    const { replicas, timeout, onShortfall } = this.replication;
    let acknowledged: number;
    try {
      acknowledged = Number(await this.bounded(() => sendWait(this.client, this.key(sessionId), replicas, timeout)));
    } catch (err) {
      if (onShortfall === 'fail') throw err;
      acknowledged = 0; // unknown: the master may be gone
    }
    if (onShortfall === 'fail' && !(acknowledged >= replicas)) {
      throw new StoreUnavailableError(`The transfer reached ${acknowledged} of ${replicas} replica(s) within ${timeout} ms`, this.retryAfter);
    }
    return { acknowledged, required: replicas };
  }

  async releaseClaim(sessionId: string, token: string): Promise<void> {
    await this.run(scripts.RELEASE_CLAIM, sessionId, [token]);
  }

  async destroy(sessionId: string): Promise<void> {
    // DEL through a script keeps the client surface to eval/evalSha.
    await this.run(scripts.DESTROY, sessionId, []);
  }

  async putTicket(ticketId: string, sessionId: string, expiresAt: number): Promise<void> {
    await this.runOn(scripts.PUT_TICKET, `${this.prefix}t:{${ticketId}}`, [`${expiresAt} ${sessionId}`, String(expiresAt)]);
    await this.runOn(NOTE_MEMBER, `${this.key(sessionId)}:t`, [ticketId, String(expiresAt)]); // found again by erase
  }

  async takeTicket(ticketId: string, now: number): Promise<string | undefined> {
    const value = await this.runOn(scripts.TAKE_TICKET, `${this.prefix}t:{${ticketId}}`, []);
    if (typeof value !== 'string') return undefined;
    // Expiry is checked against the caller's clock too, not only Redis's TTL.
    const space = value.indexOf(' ');
    return Number(value.slice(0, space)) > now ? value.slice(space + 1) : undefined;
  }

  async peekTicket(ticketId: string, now: number): Promise<string | undefined> {
    const value = await this.runOn(scripts.PEEK_TICKET, `${this.prefix}t:{${ticketId}}`, []);
    if (typeof value !== 'string') return undefined;
    const space = value.indexOf(' ');
    return Number(value.slice(0, space)) > now ? value.slice(space + 1) : undefined;
  }

  async putIfAbsent(key: string, value: string, expiresAt: number, _now: number): Promise<string | undefined> {
    const existing = await this.runOn(scripts.PUT_IF_ABSENT, this.valueKey(key), [value, String(expiresAt)]);
    if (typeof existing === 'string') return existing;
    await this.runOn(NOTE_VALUE, `${this.key(reservedSession(value))}:i`, [key, String(expiresAt)]); // noted under the session: erase finds the key
    return undefined;
  }

  async getValue(key: string, _now: number): Promise<string | undefined> {
    const existing = await this.runOn(scripts.GET_VALUE, this.valueKey(key), []);
    return typeof existing === 'string' ? existing : undefined;
  }

  async countHit(key: string, windowMs: number, now: number): Promise<HitCount> {
    const [count, ttl] = (await this.runOn(scripts.COUNT_HIT, `${this.prefix}rl:{${key}}`, [String(windowMs)])) as [number, number];
    return { count: Number(count), resetAt: now + Number(ttl) };
  }

  async saveTransferLink(link: TransferLink, expiresAt: number): Promise<void> {
    await this.runOn(scripts.PUT_LINK, this.linkKey(link.anonymousUserId), [JSON.stringify(link), String(expiresAt)]);
    await this.index.noteLink(link, expiresAt);
  }

  async getTransferLink(anonymousUserId: string): Promise<TransferLink | undefined> {
    const value = await this.runOn(scripts.GET_VALUE, this.linkKey(anonymousUserId), []);
    return typeof value === 'string' ? (JSON.parse(value) as TransferLink) : undefined;
  }

  // Transfers into one account (issue #13)

  async renewClaim(sessionId: string, token: string, leaseUntil: number, _now: number): Promise<boolean> {
    return (await this.run(scripts.RENEW_CLAIM, sessionId, [token, String(leaseUntil)])) === 1;
  }

  async acquireAccountLease(userId: string, request: AccountLeaseRequest): Promise<AccountLeaseResult> {
    const reply = (await this.runOn(scripts.ACQUIRE_LEASE, this.leaseKey(userId), [request.token, String(request.ttl)])) as unknown[];
    return Number(reply[0]) === 1 ? { status: 'acquired', fence: Number(reply[1]) } : { status: 'held' };
  }

  async renewAccountLease(userId: string, token: string, ttl: number, _now: number): Promise<boolean> {
    return (await this.runOn(scripts.RENEW_LEASE, this.leaseKey(userId), [token, String(ttl)])) === 1;
  }

  async releaseAccountLease(userId: string, token: string): Promise<void> {
    await this.runOn(scripts.RELEASE_LEASE, this.leaseKey(userId), [token]);
  }

  /** The account lease of a real user: its own hash-tagged key, so every lease script touches one slot. */
  private leaseKey(userId: string): string {
    return `${this.prefix}l:{${Buffer.from(userId).toString('base64url')}}`;
  }

  private valueKey(key: string): string {
    return `${this.prefix}i:{${key}}`;
  }

  private linkKey(anonymousUserId: string): string {
    return `${this.prefix}x:{${Buffer.from(anonymousUserId).toString('base64url')}}`;
  }

  /**
   * Indexes sessions stored before the index existed (an upgrade) and extends their life by the grace period.
   * Walks the keyspace with SCAN on each node; idempotent. The CLI's `reindex` runs it.
   */
  reindex(): Promise<{ scanned: number; indexed: number }> {
    return this.index.reindex();
  }

  private run(script: scripts.Script, sessionId: string, args: string[]): Promise<unknown> {
    return this.runOn(script, this.key(sessionId), args);
  }

  private runOn(script: scripts.Script, key: string, args: string[]): Promise<unknown> {
    return this.runKeys(script, [key], args);
  }

  /** Runs a script by SHA (loading it on NOSCRIPT), failing fast when disconnected and after `timeout` ms. */
  private runKeys(script: scripts.Script, keys: string[], args: string[]): Promise<unknown> {
    const cache = this.cache;
    if (cache === undefined || READ_ONLY.has(script)) return this.bounded(() => this.evalScript(script, { keys, arguments: args }));
    // A write: see RedisReadCache on why before and after. After a timeout the write may still land later: then only
    // Redis's push drops the key, as for another process's write.
    written(this.client, keys);
    return this.bounded(() => this.evalScript(script, { keys, arguments: args })).finally(() => written(this.client, keys));
  }

  private async evalScript(script: scripts.Script, options: { keys: string[]; arguments: string[] }): Promise<unknown> {
    try {
      return await this.client.evalSha(script.sha1, options);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return this.client.eval(script.source, options);
      throw err;
    }
  }

  /**
   * The reply of the command `send` sends, or a `StoreUnavailableError`: at once when the client is not connected
   * (nothing is sent, so nothing queues to run later), within 1.25 × `timeout` ms when Redis is slow.
   */
  private async bounded(send: () => Promise<unknown>): Promise<unknown> {
    if (this.client.isReady === false) {
      // What the client is told stays generic; the cause, which the error handler logs, says what to do.
      const cause = (this.client as { isOpen?: boolean }).isOpen === false ? NOT_OPEN : RECONNECTING;
      throw new StoreUnavailableError('The anonymous session store is unavailable', this.retryAfter, cause);
    }
    try {
      return await this.deadlines.bound(send());
    } catch (err) {
      if (err instanceof StoreUnavailableError || isServerError(err)) throw err;
      throw new StoreUnavailableError('The anonymous session store is unavailable', this.retryAfter, err);
    }
  }
}

/** Scripts that change nothing: they leave the read cache alone (the reaper's and admin's READ_MANY read 1,000 keys). */
const READ_ONLY = new Set<scripts.Script>([
  scripts.GET, scripts.GET_VALUE, lifecycleScripts.LOOKUP, lifecycleScripts.SCAN_USERS, lifecycleScripts.COUNT_BUCKET,
  lifecycleScripts.PEEK_DUE, lifecycleScripts.READ_MANY, lifecycleScripts.STATES,
]);

interface Duplicable {
  duplicate(overrides: object): TrackingClient;
  on?(event: 'end' | 'ready', listener: () => void): unknown;
  options?: { socket?: object };
  sendCommand?(args: string[], options?: object): Promise<unknown>;
}

const NOT_OPEN = new Error('the Redis client passed to RedisStore is not open: call await client.connect() before serving requests (or it was closed by client.close()/destroy())');
const RECONNECTING = new Error('the Redis client is not ready (connecting or reconnecting)');

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A read on the cache's connection that took longer than a quarter of `timeout`. */
class CacheReadTimeout extends Error {}

/** Built outside the store's constructor, so the cache it is handed holds no reference to the store (`dropped`). */
function warner(logger: RedisStoreOptions['logger']): (message: string) => void {
  return logger ? (message) => logger.warn(`express-anonymous-session: ${message}`) : (message) => process.emitWarning(message, 'RedisStoreCacheWarning');
}

/** Closes the cache of a store that was garbage-collected without close(): its connection is not leaked. */
const dropped = new FinalizationRegistry<RedisReadCache<AnonymousSessionRecord>>((cache) => cache.close());

/** This process wrote `keys` through `client`: every cache on that client drops them (two stores, one prefix). */
function written(client: object, keys: readonly string[]): void {
  const caches = cachesOf.get(client);
  if (caches !== undefined) for (const cache of caches) cache.written(keys);
}

/** The script that changes a cache's canary: a write made inside a script, as every write of the store's is. */
const CANARY_WRITE = "return redis.call('SET', KEYS[1], ARGV[1], 'PX', 60000)";

function readCache(option: RedisStoreOptions['cache'], client: RedisScriptClient, cluster: boolean, warn: (message: string) => void, prefix: string): RedisReadCache<AnonymousSessionRecord> | undefined {
  if (option === false) return undefined;
  if (option === undefined) {
    // On by default where it can work; a client it cannot use (a cluster, a pool, client.legacy()) reads every time,
    // as before the default changed. Only `cache: true` makes those a configuration error.
    if (cluster || isClusterClient(client) || typeof (client as unknown as Duplicable).duplicate !== 'function') return undefined;
    const byDefault = (message: string) => warn(message.endsWith('the cache stays off') ? `${message} (it is on by default: new RedisStore({ client, cache: false }) leaves it off without this warning)` : message);
    return readCache(true, client, cluster, byDefault, prefix);
  }
  if (option !== true && (typeof option !== 'object' || option === null)) throw new ConfigurationError('RedisStore.cache', `must be true, false or { maxEntries, maxStaleness }, got ${show(option)}`);
  const o = option === true ? {} : optionsObject(option, 'RedisStore.cache', ['maxEntries', 'maxStaleness']);
  const maxEntries = positiveInteger(o.maxEntries ?? 10_000, 'RedisStore.cache.maxEntries');
  const maxStaleness = positiveInteger(o.maxStaleness ?? 1_000, 'RedisStore.cache.maxStaleness');
  // Pinged at half of it: below ~100 ms the pings cost more than the round trips the cache saves.
  if (maxStaleness < 100) throw new ConfigurationError('RedisStore.cache.maxStaleness', `must be at least 100 (milliseconds), got ${maxStaleness}`);
  if (cluster || isClusterClient(client)) {
    throw new ConfigurationError('RedisStore.cache', 'needs a single Redis server (createClient()); Redis Cluster clients are not supported, leave cache off');
  }
  const parent = client as unknown as Duplicable;
  if (typeof parent.duplicate !== 'function') {
    throw new ConfigurationError('RedisStore.cache', 'needs a createClient() client of node-redis 5+ (not a pool or client.legacy()): it opens its tracking connection with client.duplicate(); pass that client, or leave cache off');
  }
  // The parent's connection options (URL, database, TLS, credentials), minus what would break tracking: RESP3 carries
  // the pushes on the reading connection itself; the cache replaces a failed connection (no reconnect of its own, no
  // timers that keep a process alive), pings it itself (an idle socketTimeout would close it), and must not be moved
  // to another endpoint silently (maintenance notifications) nor read replies through the parent's typeMapping.
  const overrides = {
    RESP: 3,
    emitInvalidate: true,
    name: 'eas-read-cache',
    clientSideCache: undefined,
    commandOptions: undefined,
    pingInterval: undefined,
    maintNotifications: 'disabled',
    socket: { ...parent.options?.socket, socketTimeout: undefined, reconnectStrategy: false },
  };
  const open = () => parent.duplicate(overrides);
  // SELECT at run time moves the parent, not its options: a cache on another database would serve another tenant.
  const verify = async (tracker: TrackingClient): Promise<string | undefined> => {
    if (typeof parent.sendCommand !== 'function') return undefined;
    if ((parent as { isOpen?: boolean }).isOpen === false) throw NOT_OPEN; // retried: it may be connected later
    const [mine, theirs] = await Promise.all([tracker.sendCommand(['CLIENT', 'INFO'], { typeMapping: {} }), parent.sendCommand(['CLIENT', 'INFO'])]);
    const db = (info: unknown) => /\bdb=(\d+)/.exec(String(info))?.[1];
    return db(mine) === db(theirs) ? undefined : `its connection is on database ${db(mine)}, the client's on ${db(theirs)} (pass the database in the client's options or URL, not by SELECT)`;
  };
  const canaryKey = `${prefix}cache-canary:{${randomBytes(12).toString('base64url')}}`;
  const canary = { key: canaryKey, write: (value: string) => client.eval(CANARY_WRITE, { keys: [canaryKey], arguments: [value] }) };
  const cache = new RedisReadCache<AnonymousSessionRecord>(open, maxEntries, warn, verify, readCacheTiming(maxStaleness), canary);
  closeWithClient(parent, cache);
  return cache;
}

/** The caches opened on each client, one 'end' listener per client however many stores share it. */
const cachesOf = new WeakMap<object, Set<RedisReadCache<AnonymousSessionRecord>>>();

/**
 * The app closing its client (`close()`, `destroy()`, `quit()`: node-redis says 'end') closes the caches opened on it,
 * quietly: their connections are duplicates the app never sees, and would otherwise outlive it and warn about their
 * end when Redis goes away (a test's private server, a shutdown that closes the client but not the store).
 */
function closeWithClient(parent: Duplicable, cache: RedisReadCache<AnonymousSessionRecord>): void {
  if (typeof parent.on !== 'function') return;
  let caches = cachesOf.get(parent);
  if (caches === undefined) {
    const all = (caches = new Set());
    cachesOf.set(parent, all);
    parent.on('end', () => {
      for (const c of all) c.close();
      all.clear();
    });
    // Each reconnect of the app's client sets the caches' connections up again: the client may have followed a
    // failover to another server, which the canary of a new set-up proves (or turns the cache off).
    parent.on('ready', () => {
      for (const c of all) c.reconnect();
    });
  }
  caches.add(cache);
  cache.onClose(() => caches.delete(cache));
}

/** The record from a RESP3 `HGETALL` reply (an object of strings), or `undefined` for a missing hash. */
function hashToRecord(sessionId: string, hash: unknown): AnonymousSessionRecord | undefined {
  if (hash === null || typeof hash !== 'object' || Array.isArray(hash) || hash instanceof Map) throw new TypeError('RedisStore.cache: HGETALL answered something other than a map');
  const fields = hash as Record<string, unknown>;
  const flat: string[] = [];
  for (const field in fields) {
    const value = fields[field];
    if (typeof value !== 'string') throw new TypeError('RedisStore.cache: HGETALL answered a field that is not a string');
    flat.push(field, value);
  }
  return flat.length === 0 ? undefined : toRecord(sessionId, flat);
}

/**
 * The record from a session hash's flat `HGETALL` reply. Fields into locals, then one literal per state: on the
 * returning-guest path an intermediate object and `{ ...base, state }` spreads got their objects tenured by V8
 * (the pattern bench/README.md's profiling found in the strategy).
 */
function toRecord(sessionId: string, flat: string[]): AnonymousSessionRecord {
  let userId = '';
  let createdAt = '';
  let lastSeenAt = '';
  let expiresAt = '';
  let absoluteExpiresAt = '';
  let metadata = '{}'; // scrubbed once the session ended
  let version = '';
  let state = '';
  let transferredTo = '';
  let transferredAt = '';
  let revokedAt = '';
  let tokenGeneration = '';
  let tokenRotatedAt = '';
  for (let i = 0; i < flat.length; i += 2) {
    const value = flat[i + 1];
    switch (flat[i]) {
      case 'u': userId = value; break;
      case 'c': createdAt = value; break;
      case 's': lastSeenAt = value; break;
      case 'e': expiresAt = value; break;
      case 'a': absoluteExpiresAt = value; break;
      case 'm': metadata = value; break;
      case 'v': version = value; break;
      case 'st': state = value; break;
      case 'tu': transferredTo = value; break;
      case 'ta': transferredAt = value; break;
      case 'ra': revokedAt = value; break;
      case 'tg': tokenGeneration = value; break;
      case 'tr': tokenRotatedAt = value; break;
    }
  }
  const record = recordOf(sessionId, userId, createdAt, lastSeenAt, expiresAt, absoluteExpiresAt, metadata, version, state, transferredTo, transferredAt, revokedAt);
  // Only on renewed sessions (a rare shape): the cookie path's records keep one hidden class.
  if (tokenGeneration !== '') {
    record.tokenGeneration = Number(tokenGeneration);
    record.tokenRotatedAt = Number(tokenRotatedAt);
  }
  return record;
}

function recordOf(
  sessionId: string, userId: string, createdAt: string, lastSeenAt: string, expiresAt: string, absoluteExpiresAt: string, metadata: string,
  version: string, state: string, transferredTo: string, transferredAt: string, revokedAt: string,
): AnonymousSessionRecord {
  if (state === 'transferred') {
    return {
      sessionId, userId, createdAt: Number(createdAt), lastSeenAt: Number(lastSeenAt), expiresAt: Number(expiresAt),
      absoluteExpiresAt: Number(absoluteExpiresAt), metadata, version: Number(version),
      state: 'transferred', transferredTo, transferredAt: Number(transferredAt),
    };
  }
  if (state === 'revoked') {
    return {
      sessionId, userId, createdAt: Number(createdAt), lastSeenAt: Number(lastSeenAt), expiresAt: Number(expiresAt),
      absoluteExpiresAt: Number(absoluteExpiresAt), metadata, version: Number(version), state: 'revoked', revokedAt: Number(revokedAt),
    };
  }
  return {
    sessionId, userId, createdAt: Number(createdAt), lastSeenAt: Number(lastSeenAt), expiresAt: Number(expiresAt),
    absoluteExpiresAt: Number(absoluteExpiresAt), metadata, version: Number(version), state: 'active',
  };
}
