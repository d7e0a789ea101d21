import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { TokenService } from '../tokens/token-service';
import type { AnonymousStore } from '../store/types';
import type { GuestSource } from './types';
import type { TokenRotation } from '../session/token-rotation';
import { pendingGuest } from './pending';
import { isCrossSite } from '../http/same-site';
import { isActive } from '../session/record';

/** Where a login request's guest comes from; never a raw anonymous id supplied by the client. */
export type SessionSource = GuestSource;

/** Request fields an API client or a redirect flow uses to name its guest at login. */
export const TICKET_PARAM = 'transfer_ticket';
export const SESSION_TOKEN_PARAM = 'anonymous_session_token';
export const SESSION_TOKEN_HEADER = 'anonymous-session-token';

export function ticketId(ticket: string): string {
  // Only a hash is stored: a store dump does not yield usable tickets.
  return createHash('sha256').update(ticket).digest('base64url');
}

/**
 * The id of one guest's transfer into one user: the same on every attempt (a retry after a failure, a crash or a
 * lapsed lease), different for another guest or another user. A hash, so it reveals nothing of the session id.
 */
export function transferIdOf(sessionId: string, userId: string): string {
  return createHash('sha256').update('express-anonymous-session transfer\0').update(sessionId).update('\0').update(userId).digest('base64url').slice(0, 32);
}

export interface FindGuestOptions {
  /** A preview: read a ticket without spending it. */
  peek?: boolean;
  /** The user logging in: a guest kept by an `ask` login counts only for that user. */
  userId: string;
  /** Where an `ask` login keeps its guest in the login session. */
  pendingKey: string;
  /** Told when a session token came in the query string (ignored, and no other guest is taken in its place). */
  onQueryToken?: () => void;
  /** Session-token rotation: only a current token (or one just replaced) may move its guest. */
  rotation?: TokenRotation;
}

/**
 * The session id of the request's guest, in this order: a single-use ticket (body or query), a session token
 * (body or header: a 30-day credential never travels in a URL, which leaks into logs and `Referer`), the guest an
 * `ask` login kept for this user, else the browser's cookie-bound guest as the middleware found it before any
 * `req.login()` regenerated the session. A preview peeks at a ticket without spending it, so it names the guest
 * the transfer would take.
 */
export async function findGuest(
  req: Request,
  tokens: TokenService,
  store: AnonymousStore,
  now: number,
  options: FindGuestOptions,
): Promise<{ sessionId: string; source: SessionSource } | undefined> {
  const ticket = bodyParam(req, TICKET_PARAM) ?? queryParam(req, TICKET_PARAM);
  if (ticket !== undefined) {
    const id = ticketId(ticket);
    const sessionId = await (options.peek ? store.peekTicket(id, now) : store.takeTicket(id, now));
    return sessionId === undefined ? undefined : { sessionId, source: 'ticket' };
  }
  const token = bodyParam(req, SESSION_TOKEN_PARAM) ?? req.get(SESSION_TOKEN_HEADER);
  if (token === undefined && queryParam(req, SESSION_TOKEN_PARAM) !== undefined) {
    options.onQueryToken?.();
    return undefined;
  }
  if (token !== undefined) {
    const check = await tokens.checkSessionToken(token);
    if (!check.ok) return undefined;
    const sessionId = check.claims.session_id;
    if (options.rotation) {
      // A replaced token used again revokes its session; the transfer then finds it revoked and moves nothing.
      const record = await store.get(sessionId);
      if (isActive(record, now) && record.userId === check.claims.user_id) await options.rotation.admit(record, check.claims.gen ?? 0);
    }
    return { sessionId, source: 'session_token' };
  }
  const kept = pendingGuest(req, options.pendingKey, options.userId);
  if (kept !== undefined) return { sessionId: kept, source: 'pending' };
  // A login posted from another site (login CSRF with the attacker's credentials) must not pull the victim's
  // cookie guest into the attacker's account: the cookie guest transfers only on a same-site request.
  if (req.anonymous?.persisted && !isCrossSite(req)) return { sessionId: req.anonymous.sessionId, source: 'cookie' };
  return undefined;
}

function bodyParam(req: Request, name: string): string | undefined {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function queryParam(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
