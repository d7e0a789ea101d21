import type { Request } from 'express';
import type { AnonymousStore } from './store/types';
import type { TokenService } from './tokens/token-service';
import type { ResolvedOptions } from './options';
import type { AnonymousSessionRecord } from './session-record';
import type { Metadata } from './metadata';
import { newRecord, newUserId, isUsable, slidingExpiry } from './session-record';
import { parseMetadata, serializeMetadata, mergePatch } from './metadata';
import { MetadataError, SessionNotActiveError, UpdateConflictError } from './errors';
import { IDEMPOTENCY_KEY } from './validate';

/** A metadata change: a merge patch (RFC 7396), or a function from the current metadata to the next. */
export type MetadataChange = Metadata | ((current: Metadata) => Metadata);

export interface UpdateOptions {
  /**
   * Makes the update safe to retry: the same key is applied at most once (the last 16 keys per session are kept).
   * Pass the client's `Idempotency-Key` so a retry after a lost response does not add the item twice.
   */
  idempotencyKey?: string;
}

export interface CreateInput {
  metadata?: Metadata;
  /** An id supplied by the app; the caller has validated that it may. */
  userId?: string;
}

/** The operations on anonymous sessions that every entry point (cookie, token endpoint, transfer) shares. */
export class SessionService {
  private readonly queues = new Map<string, Promise<void>>();
  /** Mints tokens for `req.anonymous.issueTokens()`; attached by `AnonymousSessions`. */
  tokens: TokenService | undefined;
  /** Counts a creation against the per-address limit; throws `RateLimitedError` past it. */
  beforeCreate: ((req: Request) => Promise<void>) | undefined;

  constructor(
    readonly store: AnonymousStore,
    readonly options: ResolvedOptions,
  ) {}

  now(): number {
    return this.options.clock();
  }

  /** A record that is valid but not yet stored (lazy mode persists it on first write). */
  draft(input: CreateInput = {}): AnonymousSessionRecord {
    const metadata = serializeMetadata(input.metadata ?? {}, this.options.limits);
    return newRecord({
      userId: input.userId ?? newUserId(this.options.idPrefix),
      metadata,
      now: this.now(),
      lifetimes: this.options.lifetimes,
    });
  }

  async persist(record: AnonymousSessionRecord, req?: Request): Promise<void> {
    if (req) await this.beforeCreate?.(req);
    // 256-bit ids do not collide; a `false` here means a bug or a replayed create, never a reason to overwrite.
    if (!(await this.store.create(record))) throw new SessionNotActiveError('Anonymous session id already exists');
  }

  async create(input: CreateInput = {}): Promise<AnonymousSessionRecord> {
    const record = this.draft(input);
    await this.persist(record);
    return record;
  }

  /** The active record for `sessionId`, its activity recorded (at most once per touch interval); else undefined. */
  async load(sessionId: string): Promise<AnonymousSessionRecord | undefined> {
    const record = await this.store.get(sessionId);
    return record && isUsable(record, this.now()) ? this.recordActivity(record) : undefined;
  }

  /** Writes activity back for a record already read, at most once per touch interval; undefined if it just ended. */
  async recordActivity(record: AnonymousSessionRecord): Promise<AnonymousSessionRecord | undefined> {
    const now = this.now();
    if (now - record.lastSeenAt < this.options.lifetimes.touchInterval * 1000) return record;
    const expiresAt = slidingExpiry(record, now, this.options.lifetimes);
    if (!(await this.store.touch(record.sessionId, now, expiresAt))) return undefined;
    return { ...record, lastSeenAt: now, expiresAt };
  }

  /**
   * Applies `change` atomically: read, change, compare-and-set on the version, retry on a lost race.
   * A concurrent writer's change is never overwritten. Limits are checked before anything is written.
   */
  update(sessionId: string, change: MetadataChange, options: UpdateOptions = {}): Promise<AnonymousSessionRecord> {
    const updateId = options.idempotencyKey;
    if (updateId !== undefined && !IDEMPOTENCY_KEY.test(updateId)) {
      return Promise.reject(new MetadataError('invalid_idempotency_key', 'An idempotency key is 1 to 64 letters, digits, _ . : or -'));
    }
    // Updates to one session from this process run one after another, so only other processes can race them.
    const previous = this.queues.get(sessionId) ?? Promise.resolve();
    const run = previous.then(() => this.compareAndSet(sessionId, change, updateId));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(sessionId, settled);
    void settled.then(() => {
      if (this.queues.get(sessionId) === settled) this.queues.delete(sessionId);
    });
    return run;
  }

  private async compareAndSet(sessionId: string, change: MetadataChange, updateId: string | undefined): Promise<AnonymousSessionRecord> {
    const attempts = this.options.limits.updateAttempts;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const record = await this.store.get(sessionId);
      if (!record || !isUsable(record, this.now())) throw new SessionNotActiveError();
      const next = applyChange(change, parseMetadata(record.metadata));
      const json = serializeMetadata(next, this.options.limits);
      const result = await this.store.compareAndSetMetadata(sessionId, record.version, json, this.now(), updateId);
      if (result.status === 'ok') return { ...record, metadata: json, version: result.version };
      if (result.status === 'duplicate') return record; // applied before: this is a retry, answer with the current state
      if (result.status === 'missing' || result.status === 'ended') throw new SessionNotActiveError();
      // conflict: another process won, retry after a jittered backoff; busy: a transfer holds the session.
      if (result.status === 'busy') await delay(Math.min(25 * attempt, 200));
      else await delay(Math.random() * Math.min(2 ** attempt, 50));
    }
    throw new UpdateConflictError(attempts);
  }

  async revoke(sessionId: string): Promise<boolean> {
    return this.store.revoke(sessionId, this.now());
  }
}

/** The metadata after `change`: a function of the current metadata, or an RFC 7396 merge patch. */
export function applyChange(change: MetadataChange, current: Metadata): Metadata {
  if (typeof change === 'function') return change(current);
  if (change === null || typeof change !== 'object' || Array.isArray(change)) {
    throw new MetadataError('metadata_invalid', 'A metadata change must be an object (merge patch) or a function');
  }
  return mergePatch(current, change);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
