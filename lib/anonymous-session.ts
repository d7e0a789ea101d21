import type { Request } from 'express';
import type { AnonymousSessionRecord, SessionState } from './session-record';
import type { Metadata } from './metadata';
import type { MetadataChange, SessionService, UpdateOptions } from './session-service';
import { deepFreeze, parseMetadata, serializeMetadata } from './metadata';
import { applyChange } from './session-service';
import { bind, unbind } from './session-binding';
import { SessionNotActiveError } from './errors';
import type { IssueOptions, TokenResponse } from './tokens/token-service';

/**
 * `req.anonymous`: the current guest. Read ids and a metadata snapshot; change metadata atomically; revoke.
 *
 * @example
 * app.post('/cart', async (req, res) => {
 *   const metadata = await req.anonymous!.update((m) => ({ ...m, cart: [...(m.cart ?? []), req.body.sku] }));
 *   res.json(metadata.cart);
 * });
 */
export class AnonymousSession {
  readonly #service: SessionService;
  readonly #req: Request;
  #record: AnonymousSessionRecord;
  #persisted: boolean;
  #metadata: Readonly<Metadata> | undefined;

  /** @internal Built by the middleware. */
  constructor(service: SessionService, req: Request, record: AnonymousSessionRecord, persisted: boolean) {
    this.#service = service;
    this.#req = req;
    this.#record = record;
    this.#persisted = persisted;
  }

  /** Anonymous user id, e.g. `anon|3f0c…`. Provisional until `persisted` in lazy mode. */
  get id(): string {
    return this.#record.userId;
  }
  get sessionId(): string {
    return this.#record.sessionId;
  }
  /** Epoch milliseconds. */
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
  /** False for a lazy-mode visitor who has not yet written anything: no record, no cookie. */
  get persisted(): boolean {
    return this.#persisted;
  }
  /** A frozen snapshot, as of this request (or the last `update`/`reload`). */
  get metadata(): Readonly<Metadata> {
    this.#metadata ??= deepFreeze(parseMetadata(this.#record.metadata));
    return this.#metadata;
  }
  /** @internal The record as last seen by this request. */
  get record(): Readonly<AnonymousSessionRecord> {
    return this.#record;
  }

  /**
   * Changes metadata atomically and returns the new metadata. Pass a function of the current metadata, or an
   * RFC 7396 merge patch (`null` deletes a key). Concurrent updates from other tabs or processes are never lost.
   * Throws `MetadataError` over a limit (nothing written) and `SessionNotActiveError` once the session ended.
   */
  async update(change: MetadataChange, options: UpdateOptions = {}): Promise<Readonly<Metadata>> {
    if (!this.#persisted) {
      const next = applyChange(change, parseMetadata(this.#record.metadata));
      this.#record = { ...this.#record, metadata: serializeMetadata(next, this.#service.options.limits) };
      await this.persist();
    } else {
      this.#record = await this.#service.update(this.#record.sessionId, change, options);
    }
    this.#metadata = undefined;
    return this.metadata;
  }

  /** Re-reads the record (another request may have changed it). */
  async reload(): Promise<void> {
    if (!this.#persisted) return;
    const record = await this.#service.store.get(this.#record.sessionId);
    if (!record) throw new SessionNotActiveError();
    this.#record = record;
    this.#metadata = undefined;
  }

  /** Stores a lazy-mode session and binds it to the browser's session cookie. No-op once persisted. */
  async persist(): Promise<void> {
    if (this.#persisted) return;
    await this.#service.persist(this.#record, this.#req);
    this.#persisted = true;
    await bind(this.#req, this.#service.options.sessionKey, this.#record.sessionId);
  }

  /**
   * An access token and a session token for this guest, minted server-side (a lazy guest is stored first), e.g.
   * for a page that hands them to its own script. Throws `OAuthError` for a scope or audience the client may not have.
   *
   * @example
   * const { access_token } = await req.anonymous!.issueTokens({ scope: 'cart:read' });
   */
  async issueTokens(options?: IssueOptions): Promise<TokenResponse> {
    await this.persist();
    if (!this.#service.tokens) throw new SessionNotActiveError('No token service is attached');
    return this.#service.tokens.issueFor(this.#record, options);
  }

  /** Ends the session server-side (its tokens stop working) and unbinds it from the browser. */
  async revoke(): Promise<void> {
    if (this.#persisted) await this.#service.revoke(this.#record.sessionId);
    this.#record = { ...this.#record, state: 'revoked', revokedAt: this.#service.now() };
    unbind(this.#req, this.#service.options.sessionKey);
  }
}
