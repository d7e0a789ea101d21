import type { ResolvedOptions } from '../options';
import type { AnonymousSessionRecord } from '../session-record';
import type { ResolvedClient } from '../token-options';
import { parseMetadata } from '../metadata';
import { SessionNotActiveError } from '../errors';
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
