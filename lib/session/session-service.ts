import type { Request } from 'express';
import type { AnonymousStore } from '../store/types';
import type { ResolvedSessionOptions } from './options';
import type { ActiveRecord } from './record';
import type { Metadata, MetadataPatch } from './metadata';
import type { CreationLimiter } from './creation-limit';
import type { CreatedVia, Instrumentation } from '../metrics/instrumentation';
import { newRecord, newUserId, isActive, slidingExpiry } from './record';
import { parseMetadata, serializeMetadata, mergePatch } from './metadata';
import { MetadataError, SessionNotActiveError, UpdateConflictError } from '../errors';
import { UPDATE_ID } from '../config/validate';
import { noMetrics } from '../metrics/instrumentation';

/** A metadata change: a merge patch (RFC 7396), or a function from the current metadata to the next. */
export type MetadataChange<M = Metadata> = MetadataPatch<M> | ((current: M) => M);

export interface UpdateOptions {
  /**
   * Makes the update safe to retry: the same key is applied at most once (the last 16 keys per session are kept).
   * Pass the client's `Idempotency-Key` so a retry after a lost response does not add the item twice.
   */
  idempotencyKey?: string;
}

export interface CreateInput<M = Metadata> {
  metadata?: M;
  /** An id supplied by the app; the caller has validated that it may. */
  userId?: string;
}

/** Why a guest is being stored: what the single creation path needs to count it and to make it idempotent. */
export interface CreateContext {
  /** The request that creates the guest; counted against the creation limit. Absent for server-side creation. */
  req?: Request;
  /** A key that makes creation idempotent (already scoped to the client): a retry gets the same guest. */
  idempotencyKey?: string;
  /** What the request asked for (metadata, user id…): a key reused for a different request is refused. */
  idempotencyFingerprint?: string;
  /** How the guest came (counted when it is stored). Default `api`. */
  via?: CreatedVia;
}

/** How long a creation's idempotency key names its guest. */
/** An hour covers a retry after a lost response; a leaked key stops naming its guest after that. */
const IDEMPOTENCY_WINDOW_MS = 60 * 60 * 1000;

/** The operations on anonymous sessions that every entry point (cookie, token endpoint, transfer) shares. */
export class SessionService {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    readonly store: AnonymousStore,
    readonly options: ResolvedSessionOptions,
    readonly now: () => number,
    private readonly limiter: CreationLimiter | undefined,
    readonly metrics: Instrumentation = noMetrics,
  ) {}

  /** A record that is valid but not yet stored (lazy mode persists it on first write). */
  draft(input: CreateInput = {}): ActiveRecord {
    return newRecord({
      userId: input.userId ?? newUserId(this.options.idPrefix),
      metadata: serializeMetadata(input.metadata ?? {}, this.options.limits),
      now: this.now(),
      lifetimes: this.options.lifetimes,
    });
  }

  /**
   * The one way a guest is stored: an idempotent replay answers the guest stored before; anything that writes is
   * counted against the creation limit first; a key is reserved only after the count, so a refused request
   * leaves nothing behind that a retry could use to skip the limit.
   */
  async persist(draft: ActiveRecord, context: CreateContext = {}): Promise<ActiveRecord> {
    const key = context.idempotencyKey;
    const fingerprint = context.idempotencyFingerprint ?? '';
    let record = draft;
    if (key !== undefined) {
      const earlier = reservation(await this.store.getValue(key, this.now()), fingerprint);
      if (earlier !== undefined) {
        const replay = await this.replay(earlier);
        if (replay) return replay;
        record = { ...record, sessionId: earlier }; // reserved, never stored: store it now, counted like any creation
      }
    }
    if (context.req && this.limiter) await this.limiter.consume(context.req);
    if (key !== undefined) {
      const now = this.now();
      const raced = reservation(await this.store.putIfAbsent(key, `${record.sessionId} ${fingerprint}`, now + IDEMPOTENCY_WINDOW_MS, now), fingerprint);
      if (raced !== undefined && raced !== record.sessionId) {
        const replay = await this.replay(raced);
        if (replay) return replay;
        record = { ...record, sessionId: raced };
      }
    }
    if (await this.store.create(record)) {
      this.countStored(context.via ?? 'api');
      return record;
    }
    const replay = key === undefined ? undefined : await this.replay(record.sessionId);
    // 256-bit ids do not collide: without a key, `false` means a bug, never a reason to overwrite.
    if (!replay) throw new SessionNotActiveError('Anonymous session id already exists');
    return replay;
  }

  async create(input: CreateInput = {}, context: CreateContext = {}): Promise<ActiveRecord> {
    return this.persist(this.draft(input), context);
  }

  /** The guest an idempotency key created earlier, if it is stored; refused if it has ended. */
  private async replay(sessionId: string): Promise<ActiveRecord | undefined> {
    const record = await this.store.get(sessionId);
    if (record === undefined) return undefined;
    if (!isActive(record, this.now())) throw new SessionNotActiveError('The guest this idempotency key created has ended');
    return record;
  }

  /** The active record for `sessionId`, its activity recorded (at most once per touch interval); else undefined. */
  async load(sessionId: string): Promise<ActiveRecord | undefined> {
    const record = await this.store.get(sessionId);
    if (!isActive(record, this.now())) return undefined;
    // Most reads record nothing: answer without adopting another async function's promise (ticks on the hot path).
    return this.touchDue(record) ? this.touch(record) : record;
  }

  /** Writes activity back for a record already read, at most once per touch interval; undefined if it just ended. */
  recordActivity(record: ActiveRecord): Promise<ActiveRecord | undefined> {
    return this.touchDue(record) ? this.touch(record) : Promise.resolve(record);
  }

  private touchDue(record: ActiveRecord): boolean {
    return this.now() - record.lastSeenAt >= this.options.lifetimes.touchInterval * 1000;
  }

  private async touch(record: ActiveRecord): Promise<ActiveRecord | undefined> {
    const now = this.now();
    const expiresAt = slidingExpiry(record, now, this.options.lifetimes);
    if (!(await this.store.touch(record.sessionId, now, expiresAt))) return undefined;
    return { ...record, lastSeenAt: now, expiresAt };
  }

  /**
   * Applies `change` atomically: read, change, compare-and-set on the version, retry on a lost race.
   * A concurrent writer's change is never overwritten. Limits are checked before anything is written.
   */
  update(sessionId: string, change: MetadataChange, options: UpdateOptions = {}): Promise<ActiveRecord> {
    const updateId = options.idempotencyKey;
    if (updateId !== undefined && !UPDATE_ID.test(updateId)) {
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

  private async compareAndSet(sessionId: string, change: MetadataChange, updateId: string | undefined): Promise<ActiveRecord> {
    const attempts = this.options.limits.updateAttempts;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const record = await this.store.get(sessionId);
      if (!isActive(record, this.now())) throw new SessionNotActiveError();
      const json = serializeMetadata(applyChange(change, parseMetadata(record.metadata)), this.options.limits);
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
    const revoked = await this.store.revoke(sessionId, this.now());
    if (revoked) this.metrics.guestRevoked();
    return revoked;
  }

  /** A cookie guest was counted as created when it was handed out (provisional); the others are created as stored. */
  private countStored(via: CreatedVia): void {
    if (via !== 'cookie') this.metrics.guestCreated(via);
    this.metrics.guestStored(via);
  }
}

/** The session id an idempotency key reserved, if any; a key reused for a different request is refused. */
function reservation(value: string | undefined, fingerprint: string): string | undefined {
  if (value === undefined) return undefined;
  const space = value.indexOf(' ');
  const [sessionId, stored] = space < 0 ? [value, ''] : [value.slice(0, space), value.slice(space + 1)];
  if (stored !== fingerprint) throw new MetadataError('invalid_idempotency_key', 'The Idempotency-Key was already used for a different request');
  return sessionId;
}

/** The metadata after `change`: a function of the current metadata, or an RFC 7396 merge patch. */
export function applyChange(change: MetadataChange, current: Metadata): Metadata {
  if (typeof change === 'function') return change(current);
  if (change === null || typeof change !== 'object' || Array.isArray(change)) {
    throw new MetadataError('metadata_invalid', 'A metadata change must be an object (merge patch) or a function');
  }
  return mergePatch(current, change as Metadata);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
