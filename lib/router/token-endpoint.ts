import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { RouterContext } from './context';
import type { AnonymousSessionRecord } from '../session-record';
import { OAuthError } from '../errors';
import { IDEMPOTENCY_KEY } from '../validate';
import { serializeMetadata, type Metadata } from '../metadata';
import { TokenError } from '../tokens/token-error';
import { authenticateClient, client } from './client-auth';
import { locals, noStore, params, readParams } from './params';
import { grantFor } from '../tokens/grant';
import { refuseCrossSite } from './same-site';
import { renderOAuthError } from './oauth-errors';

export const BODY_LIMIT = '32kb';
export const parseJson = express.json({ limit: BODY_LIMIT });
export const parseForm = express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 20 });
const USER_ID = /^[\x21-\x7E]{1,128}$/;

/**
 * `POST /anonymous/token`, step by step. The mode follows from the body: `session_token` renews; a browser whose
 * cookie already holds a guest gets tokens for that guest; anything else creates a new guest.
 */
export function tokenEndpoint(ctx: RouterContext): Array<RequestHandler | typeof renderOAuthError> {
  return [noStore, parseJson, parseForm, readParams, authenticateClient(ctx.options.tokens), grantScopeAndAudience, findOrCreateSession(ctx), issueTokens(ctx), renderOAuthError];
}

/** Scope and audience are checked before anything is created: a refused request writes nothing. */
function grantScopeAndAudience(_req: Request, res: Response, next: NextFunction): void {
  const p = params(res);
  locals(res).grant = grantFor(client(res), p.scope, p.audience);
  next();
}

function findOrCreateSession(ctx: RouterContext) {
  return async function findOrCreateSession(req: Request, res: Response, next: NextFunction): Promise<void> {
    const p = params(res);
    let record: AnonymousSessionRecord;
    if (p.session_token !== undefined) record = await renew(ctx, res);
    else if (req.anonymous?.persisted) record = await fromCookie(req, res);
    else if (p.requested_token_type !== undefined) throw new OAuthError('invalid_request', 'A transfer ticket needs an existing guest: send session_token');
    else record = await create(ctx, req, res);
    locals(res).record = record;
    next();
  };
}

async function renew(ctx: RouterContext, res: Response): Promise<AnonymousSessionRecord> {
  const p = params(res);
  if (p.user_id !== undefined || p.metadata !== undefined) {
    throw new OAuthError('invalid_request', 'user_id and metadata cannot be sent with session_token');
  }
  let claims;
  try {
    claims = await ctx.tokens.readSessionToken(p.session_token!);
  } catch (err) {
    if (err instanceof TokenError && err.reason === 'expired') throw new OAuthError('session_expired', 'The anonymous session expired');
    if (err instanceof TokenError) throw new OAuthError('invalid_session_token', 'The session token is invalid');
    throw err;
  }
  if (claims.client_id !== client(res).id) throw new OAuthError('invalid_grant', 'The session token was issued to another client');
  const record = await ctx.service.store.get(claims.session_id);
  const now = ctx.service.now();
  if (!record || record.expiresAt <= now) throw new OAuthError('session_expired', 'The anonymous session expired');
  if (record.userId !== claims.user_id) throw new OAuthError('invalid_grant', 'The session token does not match its session');
  if (record.state !== 'active') throw new OAuthError('invalid_grant', `The anonymous session was ${record.state}`);
  // One read serves both the checks above and the activity write-back.
  return (await ctx.service.recordActivity(record)) ?? record;
}

async function fromCookie(req: Request, res: Response): Promise<AnonymousSessionRecord> {
  refuseCrossSite(req);
  const p = params(res);
  if (p.user_id !== undefined) throw new OAuthError('invalid_request', 'This browser already has an anonymous user');
  if (p.metadata !== undefined) await req.anonymous!.update(metadataObject(p.metadata));
  return req.anonymous!.record;
}

async function create(ctx: RouterContext, req: Request, res: Response): Promise<AnonymousSessionRecord> {
  const p = params(res);
  if (p.user_id !== undefined) {
    if (!client(res).allowUserIds) throw new OAuthError('unauthorized_client', 'This client may not supply user ids');
    if (!USER_ID.test(p.user_id)) throw new OAuthError('invalid_request', 'user_id must be 1 to 128 printable ASCII characters');
  }
  const metadata = p.metadata === undefined ? {} : metadataObject(p.metadata);
  serializeMetadata(metadata, ctx.options.limits); // refuse before counting against the rate limit
  const draft = ctx.service.draft({ metadata, userId: p.user_id });
  const key = idempotencyKey(req);
  if (key !== undefined) {
    // A retry (the response was lost) gets the guest the first attempt made, never a second one.
    const scoped = createHash('sha256').update(`${client(res).id}\n${key}`).digest('base64url');
    const now = ctx.service.now();
    const earlier = await ctx.service.store.putIfAbsent(scoped, draft.sessionId, now + IDEMPOTENCY_WINDOW_MS, now);
    if (earlier !== undefined) {
      const record = await ctx.service.store.get(earlier);
      if (record) {
        if (record.state !== 'active' || record.expiresAt <= now) throw new OAuthError('invalid_grant', 'The guest this key created has ended');
        return record;
      }
      // The first attempt reserved the key but never stored its guest: store it now, under the same id.
      const again = { ...draft, sessionId: earlier };
      await ctx.service.persist(again);
      return again;
    }
  }
  await ctx.limiter?.consume(req);
  await ctx.service.persist(draft);
  return draft;
}

const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

function idempotencyKey(req: Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) throw new OAuthError('invalid_request', 'Idempotency-Key must be 1 to 64 letters, digits, _ . : or -');
  return key;
}

function metadataObject(value: unknown): Metadata {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OAuthError('invalid_request', 'The parameter metadata must be a JSON object');
  }
  return value as Metadata;
}

function issueTokens(ctx: RouterContext) {
  return async function issueTokens(_req: Request, res: Response): Promise<void> {
    const record = locals(res).record as AnonymousSessionRecord;
    const type = params(res).requested_token_type;
    if (type !== undefined) {
      if (type !== 'transfer_ticket') throw new OAuthError('invalid_request', 'requested_token_type must be transfer_ticket');
      // For logins through a redirect: at most 30 s, single use, names this guest without exposing a credential.
      const { ticket, expiresIn } = await ctx.transfers.mintTicket(record.sessionId);
      return void res.status(200).json({ transfer_ticket: ticket, expires_in: expiresIn, token_type: 'N_A' });
    }
    const { scope, audience } = locals(res).grant as { scope: string; audience: string };
    const body = await ctx.tokens.issue(record, { client: client(res), scope, audience });
    res.status(200).json(body);
  };
}
