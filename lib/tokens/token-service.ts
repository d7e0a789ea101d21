import type { ResolvedOptions } from '../options';
import type { AnonymousSessionRecord } from '../session-record';
import type { ResolvedClient } from '../token-options';
import { parseMetadata } from '../metadata';
import { AnonymousSessionError, SessionNotActiveError } from '../errors';
import { DEFAULT_CLIENT_ID } from '../token-options';
import { grantFor } from './grant';
import { mapClaims } from './claims-mapping';
import { signAccessToken, verifyAccessToken, ringKeys, type AccessTokenClaims, type AccessTokenKeys } from './access-token';
import { mintSessionToken, readSessionToken, type SessionTokenClaims, type SessionTokenConfig } from './session-token';

/** The token endpoint's success body (RFC 6749 section 5.1, plus the session token). */
export interface TokenResponse {
  token_type: 'Bearer';
  access_token: string;
  expires_in: number;
  scope: string;
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

/** Mints and reads this issuer's tokens. Access and session tokens differ in `typ`, audience and keys. */
export class TokenService {
  readonly endpoints: { token: string; logout: string; jwks: string };
  private readonly session: SessionTokenConfig;
  private readonly accessKeys: AccessTokenKeys;

  constructor(private readonly options: ResolvedOptions) {
    const base = options.issuer.replace(/\/+$/, '');
    this.endpoints = { token: `${base}/anonymous/token`, logout: `${base}/anonymous/logout`, jwks: `${base}/.well-known/jwks.json` };
    const t = options.tokens;
    this.session = {
      ring: t.sessionKeys,
      format: t.sessionTokenFormat,
      issuer: options.issuer,
      audience: this.endpoints.token,
      clockTolerance: t.clockTolerance,
      maxLength: t.maxTokenLength,
    };
    this.accessKeys = ringKeys(t.accessKeys);
  }

  /** An access token and a session token for an active session; neither outlives the session. */
  async issue(record: AnonymousSessionRecord, request: IssueRequest): Promise<TokenResponse> {
    const nowMs = this.options.clock();
    if (record.state !== 'active' || record.expiresAt <= nowMs) throw new SessionNotActiveError();
    const now = Math.floor(nowMs / 1000);
    const sessionEnd = Math.floor(record.absoluteExpiresAt / 1000);
    const accessEnd = Math.min(now + this.options.tokens.accessTokenLifetime, Math.floor(record.expiresAt / 1000));
    const metadata = parseMetadata(record.metadata);
    const [accessToken, sessionToken] = await Promise.all([
      signAccessToken(this.options.tokens.accessKeys, this.options.issuer, {
        userId: record.userId,
        sessionId: record.sessionId,
        clientId: request.client.id,
        scope: request.scope,
        audience: request.audience,
        now,
        expiresAt: accessEnd,
        claims: mapClaims(this.options.tokens.claims, record, metadata),
      }),
      mintSessionToken(
        this.session,
        { user_id: record.userId, session_id: record.sessionId, created_at: Math.floor(record.createdAt / 1000), metadata, client_id: request.client.id },
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

  /**
   * Tokens minted by the app itself (a server-rendered page handing tokens to its own script): the client is named,
   * not authenticated; scope and audience are checked against it like the endpoint does.
   */
  issueFor(record: AnonymousSessionRecord, options: IssueOptions = {}): Promise<TokenResponse> {
    const t = this.options.tokens;
    const clientId = options.clientId ?? (t.defaultClient ? DEFAULT_CLIENT_ID : undefined);
    const client = clientId === undefined ? undefined : t.clients.get(clientId);
    if (!client) {
      return Promise.reject(new AnonymousSessionError('unknown_client', clientId === undefined ? 'issueTokens() needs a clientId when clients are configured' : `Unknown client "${clientId}"`, { status: 500 }));
    }
    try {
      return this.issue(record, { client, ...grantFor(client, options.scope, options.audience) });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Signature and claims only; whether the session is still active is the store's to say. */
  readSessionToken(token: string): Promise<SessionTokenClaims> {
    return readSessionToken(this.session, token, this.options.clock());
  }

  verifyAccessToken(token: string, audience = this.options.audience): Promise<AccessTokenClaims> {
    return verifyAccessToken(this.accessKeys, token, {
      issuer: this.options.issuer,
      audience,
      clockTolerance: this.options.tokens.clockTolerance,
      maxLength: this.options.tokens.maxTokenLength,
      now: this.options.clock(),
    });
  }
}
