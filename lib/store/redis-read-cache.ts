/**
 * Session hashes kept in this process between requests, each dropped the moment Redis says its key changed:
 * Redis client-side caching (RESP3 `CLIENT TRACKING`) on a connection of the cache's own, a duplicate of the
 * store's client. A returning guest is then read with no round trip at all.
 *
 * Correctness rests on four rules:
 * - Reads go through the tracking connection, so Redis promises an `invalidate` push for every later change of a
 *   key this connection read, on the same connection, after the read's reply.
 * - A reply is kept only if no invalidation of its key (nor a lost connection) came between sending the read and
 *   the reply: node-redis parses an `invalidate` push that follows a reply before the reply's promise continues.
 * - This process's own writes go through the store's main connection, whose replies can overtake the push on the
 *   tracking one; the store drops the key itself when it sends a write and again when the reply comes
 *   (`written`), so a request never reads back older data than this process wrote.
 * - A connection that may have lost a push is replaced, never trusted again: on any error or close, on a ping that
 *   goes unanswered (a NAT or load balancer that silently drops an idle connection), the cache empties itself and
 *   opens a new connection, and serves nothing until Redis confirms tracking on it.
 * - Nothing is served on a connection that has been silent for longer than `maxStaleness`: a reply to a command sent
 *   at time S comes after every push for a change Redis applied before S, so each answered ping or read vouches for
 *   the cache until S + maxStaleness. A connection that stops delivering (a dropped route, a frozen proxy) stops
 *   serving within maxStaleness, long before a ping timeout could tell it is dead.
 * Another process's write reaches this cache one network hop after Redis applies it, and never later than
 * maxStaleness (docs/scaling.md).
 */

/** The node-redis client calls the cache makes on its tracking connection (a `duplicate()` with RESP 3). */
export interface TrackingClient {
  connect(): Promise<unknown>;
  // Raw commands, with the default reply types: a duplicate() keeps its parent's RESP2 reply transforms (hGetAll()
  // there answers {} for a map) and its `typeMapping` (Buffers for strings).
  sendCommand(args: string[], options?: { typeMapping?: object }): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  unref(): void;
  destroy(): void;
  readonly isReady: boolean;
}

export interface ReadCacheStats {
  /**
   * Whether the cache is in use: false when `cache: false`, for a client it cannot use (a cluster, a pool), once
   * Redis refused tracking (the warning says why), and once the store or its client was closed. When false, reads go
   * to Redis and the counts stop.
   */
  enabled: boolean;
  /** Reads answered from this process. */
  hits: number;
  /** Reads that went to Redis (not cached yet, dropped, or the tracking connection was down). */
  misses: number;
  /** Records held now. */
  entries: number;
  /** Whether the tracking connection is up and confirmed (while it is not, every read goes to Redis). */
  tracking: boolean;
}

export interface ReadCacheTiming {
  /** Milliseconds a reply vouches for the cache: the bound on how old a served record can be. */
  maxStaleness: number;
  /** Milliseconds between pings of an up connection (less than maxStaleness, so a live connection keeps serving). */
  pingEvery: number;
  /** Milliseconds a ping (or a read) may go unanswered before the connection is replaced. */
  pingTimeout: number;
  /** Longest pause before opening a new connection after failures (the first is 100 ms, doubling). */
  maxRetryDelay: number;
}

/** One read in flight; an invalidation of its key marks it so its reply is not kept. */
interface Pending {
  stale: boolean;
  readers: number;
}

/** Pings at half the staleness bound: an answer within half of it keeps a live connection serving without a gap. */
export function readCacheTiming(maxStaleness: number): ReadCacheTiming {
  return { maxStaleness, pingEvery: Math.max(1, Math.floor(maxStaleness / 2)), pingTimeout: 2_000, maxRetryDelay: 5_000 };
}
const DEFAULT_REPLIES = { typeMapping: {} };

export class RedisReadCache<V> {
  private readonly entries = new Map<string, V>();
  private readonly pending = new Map<string, Pending>();
  private tracker: TrackingClient | undefined;
  private live = false;
  private closed = false;
  private disabled = false;
  /** performance.now() of the last warning about a lost connection: at most one a minute, however often it flaps. */
  private warnedAt = -Infinity;
  private failures = 0;
  /** Set-ups in a row whose canary change was never reported (a path that drops pushes): the third turns it off. */
  private silentSetups = 0;
  /** The canary read on the connection being set up, resolved when Redis reports its change. */
  private awaiting: { key: string; delivered: () => void } | undefined;
  private hits = 0;
  private misses = 0;
  /** performance.now() until which the connection's last reply vouches for the entries (monotonic, unlike Date). */
  private vouchedUntil = 0;
  private pinging = false;
  private whenClosed: (() => void) | undefined;
  private readonly pinger: NodeJS.Timeout;

  /**
   * @param open a new, unconnected tracking connection (never reconnecting by itself: the cache replaces it)
   * @param verify resolves with a reason to stay off for good (another database than the store's), else undefined
   * @param canary a key of the store's and a write of it through the store's own connection, inside a script: each
   *   new connection reads it, changes it and serves only once Redis has reported that change on it
   */
  constructor(
    private readonly open: () => TrackingClient,
    private readonly maxEntries: number,
    private readonly warn: (message: string) => void,
    private readonly verify: (tracker: TrackingClient) => Promise<string | undefined> = async () => undefined,
    private readonly timing: ReadCacheTiming = readCacheTiming(1_000),
    private readonly canary?: { key: string; write(value: string): Promise<unknown> },
  ) {
    this.connect();
    this.pinger = setInterval(() => void this.ping(), timing.pingEvery).unref(); // never what keeps a process alive
  }

  /** The cached value of `key`, if this process holds one that Redis has not invalidated. */
  peek(key: string): V | undefined {
    const value = this.live && performance.now() < this.vouchedUntil ? this.entries.get(key) : undefined;
    if (value !== undefined) this.hits++;
    return value;
  }

  /**
   * Reads `key` on the tracking connection and keeps `decode`'s value unless it was invalidated meanwhile; `undefined`
   * (the key is absent) is never kept. Resolves `null` when the connection is not up, so the caller reads the ordinary
   * way; rejects when the read fails (the caller then calls `failed()` and reads the ordinary way).
   */
  async load(key: string, decode: (hash: unknown) => V | undefined): Promise<V | undefined | null> {
    this.misses++;
    const tracker = this.tracker;
    if (!this.live || tracker === undefined || !tracker.isReady) return null;
    let p = this.pending.get(key);
    if (p === undefined) this.pending.set(key, (p = { stale: false, readers: 0 }));
    p.readers++;
    let value: V | undefined;
    const sentAt = performance.now();
    try {
      value = decode(await tracker.sendCommand(['HGETALL', key], DEFAULT_REPLIES));
      if (this.tracker === tracker) this.vouch(sentAt);
    } finally {
      // Shared by concurrent reads of one key: it stays until the last reply, so a push between two replies marks both.
      if (--p.readers === 0 && this.pending.get(key) === p) this.pending.delete(key);
    }
    if (value !== undefined && !p.stale && this.live && !this.entries.has(key)) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!); // oldest first
      this.entries.set(key, value);
    }
    return value;
  }

  /** A read through the cache failed or timed out: its connection is no longer trusted. */
  failed(err: unknown): void {
    const tracker = this.tracker;
    if (tracker !== undefined) this.lost(tracker, err instanceof Error ? err : new Error(String(err)));
  }

  /** This process is changing `keys` (called when the write is sent and again when it is answered). */
  written(keys: readonly string[]): void {
    for (let i = 0; i < keys.length; i++) this.drop(keys[i]);
  }

  /**
   * The app's client (re)connected: it may now talk to another server than the tracking connection does (a failover
   * behind one address), so everything is forgotten and a new connection is set up, canary and all, quietly.
   */
  reconnect(): void {
    if (this.closed || this.disabled) return;
    const tracker = this.tracker;
    if (tracker === undefined) return; // a new one is already due
    this.tracker = undefined;
    this.down();
    destroy(tracker);
    this.connect();
  }

  /** Called once when the cache closes (the store forgets it). */
  onClose(listener: () => void): void {
    this.whenClosed = listener;
  }

  stats(): ReadCacheStats {
    return { enabled: !this.disabled && !this.closed, hits: this.hits, misses: this.misses, entries: this.entries.size, tracking: this.live };
  }

  /** Stops the cache and destroys its connection (nothing waits for replies that may never come). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.whenClosed?.();
    clearInterval(this.pinger);
    const tracker = this.tracker;
    this.tracker = undefined;
    this.down();
    if (tracker !== undefined) destroy(tracker);
  }

  private connect(): void {
    if (this.closed || this.disabled) return;
    let tracker: TrackingClient;
    try {
      tracker = this.open();
    } catch (err) {
      this.disabled = true;
      this.warn(`RedisStore.cache: could not open the tracking connection (${(err as Error).message}); the cache stays off`);
      return;
    }
    this.tracker = tracker;
    // Setting up (connect, HELLO, tracking confirmed) is bounded like a ping: a connection that never answers is
    // replaced, not waited on.
    setTimeout(() => {
      if (this.tracker === tracker && !this.live) this.lost(tracker, new Error(`not set up within ${this.timing.pingTimeout} ms`));
    }, this.timing.pingTimeout).unref();
    tracker.on('invalidate', (key) => {
      if (this.tracker !== tracker) return;
      if (key === null || key === undefined) this.dropAll();
      else this.drop(String(key));
      if (this.awaiting !== undefined && (key === null || key === undefined || String(key) === this.awaiting.key)) this.awaiting.delivered();
    });
    // Whatever happens to the connection, pushes may have been lost with it.
    for (const event of ['error', 'end'] as const) tracker.on(event, (err) => this.failedOn(tracker, err instanceof Error ? err : new Error(`connection ${event}`)));
    tracker.on('ready', () => void this.confirm(tracker));
    tracker.unref();
    tracker.connect().catch((err: unknown) => this.failedOn(tracker, err instanceof Error ? err : new Error(String(err))));
  }

  private failedOn(tracker: TrackingClient, err: Error): void {
    // Redis answered the set-up (HELLO 3, CLIENT TRACKING) with an error: a server without RESP3 or tracking (Redis
    // 5, some proxies) or an ACL that forbids them. Retrying would ask the same question every few seconds forever.
    // Only a refusal that will not change (an unknown command, a permission): BUSY, LOADING or a full maxclients pass.
    if (!this.live && isErrorReply(err) && PERMANENT.test(err.message) && this.tracker === tracker) return this.disable(tracker, `Redis refused to set up client tracking (${err.message})`);
    this.lost(tracker, err);
  }

  /** Serves from the cache only once Redis says tracking is on (an older node-redis ignores `emitInvalidate`). */
  private async confirm(tracker: TrackingClient): Promise<void> {
    try {
      const sentAt = performance.now();
      const info = (await tracker.sendCommand(['CLIENT', 'TRACKINGINFO'], DEFAULT_REPLIES)) as { flags?: unknown };
      const flags = Array.isArray(info?.flags) ? info.flags.map(String) : [];
      if (!flags.includes('on')) {
        return this.disable(tracker, 'Redis did not turn client tracking on for its connection (it needs Redis 6+ and node-redis 5 with `emitInvalidate`)');
      }
      const refused = await this.verify(tracker);
      if (refused !== undefined) return this.disable(tracker, refused);
      if (this.canary !== undefined && !(await this.delivers(tracker, this.canary))) {
        if (this.tracker !== tracker) return;
        if (++this.silentSetups >= 3) {
          return this.disable(tracker, `Redis never reported a change to a key its connection had read (three connections, ${this.canaryWait} ms each): a proxy or a Redis-compatible server that does not deliver client-tracking invalidations, at least not for writes made by scripts`);
        }
        return this.lost(tracker, new Error(`no invalidation for a change of ${this.canary.key} within ${this.canaryWait} ms`));
      }
      if (this.tracker !== tracker || this.closed || !tracker.isReady) return;
      this.dropAll();
      this.vouch(sentAt);
      this.live = true;
      this.failures = 0;
      this.silentSetups = 0;
    } catch (err) {
      this.failedOn(tracker, err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** How long the canary's change may take to be reported: half the set-up bound, so a silent path is counted. */
  private get canaryWait(): number {
    return Math.floor(this.timing.pingTimeout / 2);
  }

  /**
   * Proves the whole path before serving: `CLIENT TRACKINGINFO` only says Redis turned tracking on, not that its
   * pushes reach us (a proxy may drop them), nor that a write made inside a script (every write of the store's) is
   * reported. The canary is read here, changed through the store's connection by a script, and must be reported.
   */
  private async delivers(tracker: TrackingClient, canary: { key: string; write(value: string): Promise<unknown> }): Promise<boolean> {
    let delivered!: () => void;
    const reported = new Promise<boolean>((resolve) => (delivered = () => resolve(true)));
    let timer: NodeJS.Timeout | undefined;
    const awaiting = (this.awaiting = { key: canary.key, delivered });
    try {
      await tracker.sendCommand(['GET', canary.key], DEFAULT_REPLIES);
      await canary.write(`${Date.now()}:${Math.random()}`);
      return await Promise.race([reported, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.canaryWait).unref()))]);
    } finally {
      clearTimeout(timer);
      if (this.awaiting === awaiting) this.awaiting = undefined; // not a newer connection's, set up meanwhile
    }
  }

  private async ping(): Promise<void> {
    const tracker = this.tracker;
    if (tracker === undefined || !this.live || this.pinging) return; // one at a time: an unanswered one decides
    this.pinging = true;
    const sentAt = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        tracker.sendCommand(['PING'], DEFAULT_REPLIES),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer to PING within ${this.timing.pingTimeout} ms`)), this.timing.pingTimeout).unref())),
      ]);
      if (this.tracker === tracker) this.vouch(sentAt);
    } catch (err) {
      this.lost(tracker, err as Error);
    } finally {
      clearTimeout(timer);
      this.pinging = false;
    }
  }

  /** A reply to a command sent at `sentAt` came in order after every push for changes before it. */
  private vouch(sentAt: number): void {
    const until = sentAt + this.timing.maxStaleness;
    if (until > this.vouchedUntil) this.vouchedUntil = until;
  }

  /** Forgets everything the connection vouched for, destroys it and opens another after a pause (unref'd). */
  private lost(tracker: TrackingClient, err: Error): void {
    if (this.tracker !== tracker) return;
    this.tracker = undefined;
    this.down();
    destroy(tracker);
    if (this.closed || this.disabled) return;
    if (performance.now() - this.warnedAt >= 60_000) {
      this.warnedAt = performance.now();
      this.warn(`RedisStore.cache: the tracking connection failed (${err.message}); records are read from Redis until a new one is confirmed`);
    }
    const delay = Math.min(this.timing.maxRetryDelay, 100 * 2 ** this.failures++);
    setTimeout(() => this.connect(), delay).unref();
  }

  private disable(tracker: TrackingClient, reason: string): void {
    this.disabled = true;
    clearInterval(this.pinger);
    this.warn(`RedisStore.cache: ${reason}; the cache stays off`);
    if (this.tracker === tracker) this.tracker = undefined;
    this.down();
    destroy(tracker);
  }

  private down(): void {
    this.live = false;
    this.vouchedUntil = 0;
    this.dropAll();
  }

  private drop(key: string): void {
    this.entries.delete(key);
    const p = this.pending.get(key);
    if (p !== undefined) {
      p.stale = true;
      this.pending.delete(key);
    }
  }

  private dropAll(): void {
    this.entries.clear();
    for (const p of this.pending.values()) p.stale = true;
    this.pending.clear();
  }
}

/** Set-up refusals that asking again will not change: Redis 5 (no HELLO), an ACL, a server or proxy without RESP3. */
const PERMANENT = /^(NOPERM|NOPROTO|ERR unknown command|ERR unknown subcommand|ERR Unknown subcommand|ERR syntax error)/;

/** node-redis's `ErrorReply` (Redis answered with an error), told apart from a network failure by its class name. */
function isErrorReply(err: unknown): err is Error {
  for (let proto = err instanceof Error ? Object.getPrototypeOf(err) : null; proto !== null && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
    if (proto.constructor?.name === 'ErrorReply') return true;
  }
  return false;
}

function destroy(tracker: TrackingClient): void {
  try {
    tracker.destroy();
  } catch {
    // already closed
  }
}
