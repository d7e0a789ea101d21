import type { Request } from 'express';
import type { ActiveRecord, AnonymousSessionRecord, SessionState } from './record';
import type { Metadata, RegisteredMetadata } from './metadata';
import type { MetadataChange, SessionService, UpdateOptions } from './session-service';
import type { SessionBinding } from './binding';
import type { IssueOptions, TokenResponse } from '../tokens/token-service';
import { deepFreeze, parseMetadata, serializeMetadata } from './metadata';
import { applyChange } from './session-service';
import { isActive } from './record';
import { SessionNotActiveError } from '../errors';

/**
 * `req.anonymous`: the current guest. Read ids and a metadata snapshot; change metadata atomically; revoke.
 *
 * @example
 * app.post('/cart', async (req, res) => {
 *   const metadata = await req.anonymous!.update((m) => ({ ...m, cart: [...(m.cart ?? []), req.body.sku] }));
 *   res.json(metadata.cart);
 * });
 */
export interface AnonymousSession<M extends object = RegisteredMetadata> {
  /** Anonymous user id, e.g. `anon|3f0c…`. Provisional until `persisted` in lazy mode. */
  readonly id: string;
  readonly sessionId: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly state: SessionState;
  /** False for a lazy-mode visitor who has not yet written anything: no record, no cookie. */
  readonly persisted: boolean;
  /**
   * A snapshot as of this request (or the last `update`/`reload`), frozen all the way down: mutating it throws
   * (change metadata with `update`). Typed `Readonly<M>` at the top level only, so it passes where your code takes `M`.
   */
  readonly metadata: Readonly<M>;
  /**
   * Changes metadata atomically and returns the new metadata. Pass a function of the current metadata, or an
   * RFC 7396 merge patch (`null` deletes a key). Concurrent updates from other tabs or processes are never lost.
   * Throws `MetadataError` over a limit (nothing written) and `SessionNotActiveError` once the session ended.
   */
  update(change: MetadataChange<M>, options?: UpdateOptions): Promise<Readonly<M>>;
  /** Re-reads the record (another request may have changed it). */
  reload(): Promise<void>;
  /** Stores a lazy-mode session and binds it to the browser's session cookie. No-op once persisted. */
  persist(): Promise<void>;
  /**
   * An access token and a session token for this guest, minted server-side (a lazy guest is stored first), e.g.
   * for a page that hands them to its own script. Throws `OAuthError` for a scope or audience the client may not have.
   *
   * @example
   * const { access_token } = await req.anonymous!.issueTokens({ scope: 'cart:read' });
   */
  issueTokens(options?: IssueOptions): Promise<TokenResponse>;
  /** Ends the session server-side (its tokens stop working) and unbinds it from the browser. */
  revoke(): Promise<void>;
}

/** What a handle needs from the services; one per `anonymousSessions()` instance. */
export interface HandleServices {
  sessions: SessionService;
  binding: SessionBinding;
  issueTokens(record: ActiveRecord, options?: IssueOptions): Promise<TokenResponse>;
}

/** The implementation of `req.anonymous`, built by the middleware. */
export class GuestHandle implements AnonymousSession<Metadata> {
  readonly #services: HandleServices;
  readonly #req: Request;
  #record: AnonymousSessionRecord;
  #persisted: boolean;
  #metadata: Readonly<Metadata> | undefined;

  constructor(services: HandleServices, req: Request, record: ActiveRecord, persisted: boolean) {
    this.#services = services;
    this.#req = req;
    this.#record = record;
    this.#persisted = persisted;
  }

  get id(): string {
    return this.#record.userId;
  }
  get sessionId(): string {
    return this.#record.sessionId;
  }
  get createdAt(): number {
    return this.#record.createdAt;
  }
  get lastSeenAt(): number {
    return this.#record.lastSeenAt;
  }
  get expiresAt(): number {
    return this.#record.expiresAt;
  }
  get state(): SessionState {
    return this.#record.state;
  }
  get persisted(): boolean {
    return this.#persisted;
  }
  get metadata(): Readonly<Metadata> {
    this.#metadata ??= deepFreeze(parseMetadata(this.#record.metadata));
    return this.#metadata;
  }
  /** The record as last seen by this request. */
  get record(): Readonly<AnonymousSessionRecord> {
    return this.#record;
  }

  async update(change: MetadataChange, options: UpdateOptions = {}): Promise<Readonly<Metadata>> {
    const { sessions } = this.#services;
    if (!this.#persisted) {
      const next = applyChange(change, parseMetadata(this.#record.metadata));
      this.#record = { ...this.active(), metadata: serializeMetadata(next, sessions.options.limits) };
      await this.persist();
    } else {
      this.#record = await sessions.update(this.#record.sessionId, change, options);
    }
    this.#metadata = undefined;
    return this.metadata;
  }

  async reload(): Promise<void> {
    if (!this.#persisted) return;
    const record = await this.#services.sessions.store.get(this.#record.sessionId);
    if (!record) throw new SessionNotActiveError();
    this.#record = record;
    this.#metadata = undefined;
  }

  async persist(): Promise<void> {
    if (this.#persisted) return;
    this.#record = await this.#services.sessions.persist(this.active(), { req: this.#req, via: 'cookie' });
    this.#persisted = true;
    await this.#services.binding.bind(this.#req, this.#record.sessionId);
  }

  async issueTokens(options?: IssueOptions): Promise<TokenResponse> {
    await this.persist();
    return this.#services.issueTokens(this.active(), options);
  }

  async revoke(): Promise<void> {
    const { sessions, binding } = this.#services;
    if (this.#persisted) await sessions.revoke(this.#record.sessionId);
    this.#record = { ...this.#record, state: 'revoked', revokedAt: sessions.now() };
    binding.unbind(this.#req);
  }

  private active(): ActiveRecord {
    if (!isActive(this.#record, this.#services.sessions.now())) throw new SessionNotActiveError();
    return this.#record;
  }
}

/** The record behind a `req.anonymous` this library built. */
export function recordOf(handle: AnonymousSession<object>): Readonly<AnonymousSessionRecord> {
  if (!(handle instanceof GuestHandle)) throw new TypeError('req.anonymous was not set by anon.middleware()');
  return handle.record;
}
