import type { ActiveRecord } from '../session/record';
import type { Metadata } from '../session/metadata';
import type { ResolvedClient, ResolvedTokenOptions } from './options';
import type { TokenFailure } from './token-error';
import { parseMetadata } from '../session/metadata';
import { isActive } from '../session/record';
import { MisconfiguredError, SessionNotActiveError } from '../errors';
import { endpointUrls, type EndpointName } from '../config/endpoints';
import { DEFAULT_CLIENT_ID } from './options';
import { grantFor } from './grant';
import { mapClaims } from './claims-mapping';
import { signAccessToken, verifyAccessToken, ringKeys, type AccessTokenClaims, type AccessTokenKeys } from './access-token';
import { mintSessionToken, readSessionToken, type SessionTokenClaims, type SessionTokenConfig } from './session-token';
import { TokenError } from './token-error';

/** An access token alone, as RFC 6749 section 5.1 answers it. */
export interface AccessTokenResponse {
  token_type: 'Bearer';
  access_token: string;
  expires_in: number;
  scope: string;
}

/** The token endpoint's success body (RFC 6749 section 5.1, plus the session token). */
export interface TokenResponse extends AccessTokenResponse {
  session_token: string;
  session_expires_in: number;
}

/** Options of `req.anonymous.issueTokens()`. */
export interface IssueOptions {
  /** Which configured client the tokens are for. Default: the public default client. */
  clientId?: string;
  /** Space-delimited scopes, each allowed for the client. Default: the client's default scopes. */
  scope?: string;
  audience?: string;
}

export interface IssueRequest {
  client: ResolvedClient;
  scope: string;
  audience: string;
}

/** A session token's verdict: its claims, or why it was refused (the caller picks its wire error). */
export type SessionTokenCheck = { ok: true; claims: SessionTokenClaims } | { ok: false; reason: TokenFailure };

/** A token presented for revocation or introspection, once verified: which of ours it is, and its claims. */
export type PresentedToken = { kind: 'session'; claims: SessionTokenClaims } | { kind: 'access'; claims: AccessTokenClaims };

/** Mints and reads this issuer's tokens. Access and session tokens differ in `typ`, audience and keys. */
export class TokenService {
  readonly urls: Record<EndpointName, string>;
  private readonly session: SessionTokenConfig;
  private readonly accessKeys: AccessTokenKeys;

  constructor(
    readonly options: ResolvedTokenOptions,
    private readonly clock: () => number,
    /** The session's absolute lifetime in seconds: the longest a session token can live. */
    sessionLifetime: number,
  ) {
    this.urls = endpointUrls(options.issuer);
    this.session = {
      ring: options.sessionKeys,
      format: options.sessionTokenFormat,
      issuer: options.issuer,
      audience: this.urls.token,
      clockTolerance: options.clockTolerance,
      maxLength: options.maxTokenLength,
      maxTokenAge: sessionLifetime,
    };
    this.accessKeys = ringKeys(options.accessKeys);
  }

  /** An access token and a session token for an active session; neither outlives the session. */
  async issue(record: ActiveRecord, request: IssueRequest): Promise<TokenResponse> {
    const now = this.activeNow(record);
    const sessionEnd = Math.floor(record.absoluteExpiresAt / 1000);
    const accessEnd = this.accessEnd(record, now);
    const metadata = parseMetadata(record.metadata);
    const [accessToken, sessionToken] = await Promise.all([
      this.signAccess(record, request, metadata, now, accessEnd),
      mintSessionToken(
        this.session,
        { user_id: record.userId, session_id: record.sessionId, created_at: Math.floor(record.createdAt / 1000), metadata, client_id: request.client.id, gen: record.tokenGeneration ?? 0 },
        now,
        sessionEnd,
      ),
    ]);
    return {
      token_type: 'Bearer',
      access_token: accessToken,
      expires_in: accessEnd - now,
      scope: request.scope,
      session_token: sessionToken,
      session_expires_in: sessionEnd - now,
    };
  }

  /** An access token alone, for a guest whose credential is the browser's cookie: no session token is minted. */
  async issueAccess(record: ActiveRecord, request: IssueRequest): Promise<AccessTokenResponse> {
    const now = this.activeNow(record);
    const accessEnd = this.accessEnd(record, now);
    const accessToken = await this.signAccess(record, request, parseMetadata(record.metadata), now, accessEnd);
    return { token_type: 'Bearer', access_token: accessToken, expires_in: accessEnd - now, scope: request.scope };
  }

  /** Now in epoch seconds, for a session that must be active now. */
  private activeNow(record: ActiveRecord): number {
    const nowMs = this.clock();
    if (!isActive(record, nowMs)) throw new SessionNotActiveError();
    return Math.floor(nowMs / 1000);
  }

  /** An access token ends with its lifetime or the session's current expiry, whichever comes first. */
  private accessEnd(record: ActiveRecord, now: number): number {
    return Math.min(now + this.options.accessTokenLifetime, Math.floor(record.expiresAt / 1000));
  }

  private signAccess(record: ActiveRecord, request: IssueRequest, metadata: Metadata, now: number, expiresAt: number): Promise<string> {
    return signAccessToken(this.options.accessKeys, this.options.issuer, {
      userId: record.userId,
      sessionId: record.sessionId,
      clientId: request.client.id,
      scope: request.scope,
      audience: request.audience,
      now,
      expiresAt,
      claims: mapClaims(this.options.claims, record, metadata),
    });
  }

  /**
   * Tokens minted by the app itself (a server-rendered page handing tokens to its own script): the client is named,
   * not authenticated; scope and audience are checked against it like the endpoint does.
   */
  async issueFor(record: ActiveRecord, options: IssueOptions = {}): Promise<TokenResponse> {
    const clientId = options.clientId ?? (this.options.defaultClient ? DEFAULT_CLIENT_ID : undefined);
    const client = clientId === undefined ? undefined : this.options.clients.get(clientId);
    if (!client) {
      throw new MisconfiguredError(clientId === undefined ? 'issueTokens() needs a clientId when clients are configured' : `issueTokens(): unknown clientId "${clientId}"`);
    }
    return this.issue(record, { client, ...grantFor(client, options.scope, options.audience) });
  }

  /** Signature and claims only; whether the session is still active is the store's to say. */
  async checkSessionToken(token: string): Promise<SessionTokenCheck> {
    try {
      return { ok: true, claims: await readSessionToken(this.session, token, this.clock()) };
    } catch (err) {
      if (err instanceof TokenError) return { ok: false, reason: err.reason };
      throw err;
    }
  }

  /**
   * Which of this issuer's valid tokens `token` is, trying the hinted type first (RFC 7009 section 2.1); undefined for
   * anything that does not verify (expired, foreign, garbage).
   */
  async identify(token: string, hint?: string): Promise<PresentedToken | undefined> {
    const asSession = async (): Promise<PresentedToken | undefined> => {
      const check = await this.checkSessionToken(token);
      return check.ok ? { kind: 'session', claims: check.claims } : undefined;
    };
    const asAccess = async (): Promise<PresentedToken | undefined> => {
      try {
        return { kind: 'access', claims: await this.verifyAccessToken(token) };
      } catch (err) {
        if (err instanceof TokenError) return undefined;
        throw err;
      }
    };
    const [first, second] = hint === 'access_token' ? [asAccess, asSession] : [asSession, asAccess];
    return (await first()) ?? second();
  }

  /** Every RFC 8725 check pinned (see access-token.ts); throws `TokenError` for a token to refuse. */
  verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    return verifyAccessToken(this.accessKeys, token, {
      issuer: this.options.issuer,
      audience: this.options.audience,
      clockTolerance: this.options.clockTolerance,
      maxLength: this.options.maxTokenLength,
      maxTokenAge: this.options.accessTokenLifetime,
      now: this.clock(),
    });
  }
}
