/**
 * Session hashes kept in this process between requests, each dropped the moment Redis says its key changed:
 * Redis client-side caching (RESP3 `CLIENT TRACKING`) on a connection of the cache's own, a duplicate of the
 * store's client. A returning guest is then read with no round trip at all.
 *
 * Correctness rests on three rules:
 * - Reads go through the tracking connection, so Redis promises an `invalidate` push for every later change of a
 *   key this connection read, on the same connection, after the read's reply.
 * - A reply is kept only if no invalidation of its key (nor a lost connection) came between sending the read and
 *   the reply: node-redis parses an `invalidate` push that follows a reply before the reply's promise continues.
 * - This process's own writes go through the store's main connection, whose replies can overtake the push on the
 *   tracking one; the store drops the key itself when it sends a write and again when the reply comes
 *   (`written`), so a request never reads back older data than this process wrote.
 * Another process's write reaches this cache one network hop after Redis applies it (docs/scaling.md).
 */

/** The node-redis client calls the cache makes on its tracking connection (a `duplicate()` with RESP 3). */
export interface TrackingClient {
  connect(): Promise<unknown>;
  // Raw commands: a duplicate() keeps its parent's RESP2 reply transforms, so hGetAll() there answers {} for a map.
  sendCommand(args: string[]): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  unref(): void;
  close?(): Promise<unknown>;
  destroy?(): void;
  readonly isReady: boolean;
}

export interface ReadCacheStats {
  /** Reads answered from this process. */
  hits: number;
  /** Reads that went to Redis (not cached yet, dropped, or the tracking connection was down). */
  misses: number;
  /** Records held now. */
  entries: number;
  /** Whether the tracking connection is up (while it is not, every read goes to Redis). */
  tracking: boolean;
}

/** One read in flight; an invalidation of its key marks it so its reply is not kept. */
interface Pending {
  stale: boolean;
  readers: number;
}

export class RedisReadCache<V> {
  private readonly entries = new Map<string, V>();
  private readonly pending = new Map<string, Pending>();
  private live = false;
  private closed = false;
  private warned = false;
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly tracker: TrackingClient,
    private readonly maxEntries: number,
    private readonly warn: (message: string) => void,
  ) {
    tracker.on('invalidate', (key) => (key === null || key === undefined ? this.dropAll() : this.drop(String(key))));
    // Whatever happens to the connection, pushes may have been lost with it: start again empty.
    for (const event of ['error', 'end', 'reconnecting'] as const) tracker.on(event, (err) => this.down(err instanceof Error ? err : undefined));
    tracker.on('ready', () => void this.verify());
    tracker.unref(); // never what keeps a process alive
    tracker.connect().catch((err: Error) => this.down(err));
  }

  /** The cached value of `key`, if this process holds one that Redis has not invalidated. */
  peek(key: string): V | undefined {
    const value = this.live ? this.entries.get(key) : undefined;
    if (value !== undefined) this.hits++;
    return value;
  }

  /**
   * Reads `key` on the tracking connection and keeps `decode`'s value unless it was invalidated meanwhile; `undefined`
   * (the key is absent, or the tracking connection is down) is never kept. Returns `null` when the connection is not
   * up, so the caller reads the ordinary way.
   */
  async load(key: string, decode: (hash: Record<string, string>) => V | undefined): Promise<V | undefined | null> {
    this.misses++;
    if (!this.live || !this.tracker.isReady) return null;
    let p = this.pending.get(key);
    if (p === undefined) this.pending.set(key, (p = { stale: false, readers: 0 }));
    p.readers++;
    let value: V | undefined;
    try {
      value = decode((await this.tracker.sendCommand(['HGETALL', key])) as Record<string, string>);
    } finally {
      // Shared by concurrent reads of one key: it stays until the last reply, so a push between two replies marks both.
      if (--p.readers === 0 && this.pending.get(key) === p) this.pending.delete(key);
    }
    if (value !== undefined && !p.stale && this.live) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!); // oldest first
      this.entries.set(key, value);
    }
    return value;
  }

  /** This process is changing `keys` (called when the write is sent and again when it is answered). */
  written(keys: readonly string[]): void {
    for (let i = 0; i < keys.length; i++) this.drop(keys[i]);
  }

  stats(): ReadCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size, tracking: this.live };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.down();
    try {
      if (this.tracker.close) await this.tracker.close();
      else this.tracker.destroy?.();
    } catch {
      // already closed
    }
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

  private down(err?: Error): void {
    this.live = false;
    this.dropAll();
    if (err && !this.closed && !this.warned) {
      this.warned = true;
      this.warn(`RedisStore.cache: the tracking connection failed (${err.message}); records are read from Redis until it is back`);
    }
  }

  /** Trusts the connection only once Redis confirms tracking is on for it (an older node-redis ignores `emitInvalidate`). */
  private async verify(): Promise<void> {
    try {
      const info = (await this.tracker.sendCommand(['CLIENT', 'TRACKINGINFO'])) as { flags?: string[] } | unknown[];
      const flags = Array.isArray(info) ? (info[1] as string[]) : info.flags;
      if (Array.isArray(flags) && flags.map(String).includes('on')) {
        if (!this.closed && this.tracker.isReady) {
          this.dropAll();
          this.live = true;
          this.warned = false;
        }
        return;
      }
      this.warn('RedisStore.cache: Redis did not turn client tracking on for the cache connection (it needs Redis 6+ and node-redis 5 with `emitInvalidate`); the cache stays off');
    } catch (err) {
      this.down(err as Error);
    }
  }
}
