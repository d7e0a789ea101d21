import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { TokenService } from '../tokens/token-service';
import type { AnonymousStore } from '../store/types';

/** Where a login request's guest comes from; never a raw anonymous id supplied by the client. */
export type SessionSource = 'ticket' | 'session_token' | 'cookie';

/** Request fields an API client or a redirect flow uses to name its guest at login. */
export const TICKET_PARAM = 'transfer_ticket';
export const SESSION_TOKEN_PARAM = 'anonymous_session_token';
export const SESSION_TOKEN_HEADER = 'anonymous-session-token';

export function ticketId(ticket: string): string {
  // Only a hash is stored: a store dump does not yield usable tickets.
  return createHash('sha256').update(ticket).digest('base64url');
}

/**
 * The session id of the request's guest: a single-use ticket, else a session token (body or header), else the
 * browser's cookie-bound guest as the middleware found it before any `req.login()` regenerated the session.
 * Peeking (for a preview) does not spend a ticket.
 */
export async function findGuest(
  req: Request,
  tokens: TokenService,
  store: AnonymousStore,
  now: number,
  peek = false,
): Promise<{ sessionId: string; source: SessionSource } | undefined> {
  const ticket = param(req, TICKET_PARAM);
  if (ticket !== undefined && !peek) {
    const sessionId = await store.takeTicket(ticketId(ticket), now);
    return sessionId === undefined ? undefined : { sessionId, source: 'ticket' };
  }
  const token = param(req, SESSION_TOKEN_PARAM) ?? req.get(SESSION_TOKEN_HEADER);
  if (token !== undefined) {
    const check = await tokens.checkSessionToken(token);
    return check.ok ? { sessionId: check.claims.session_id, source: 'session_token' } : undefined;
  }
  if (req.anonymous?.persisted) return { sessionId: req.anonymous.sessionId, source: 'cookie' };
  return undefined;
}

function param(req: Request, name: string): string | undefined {
  const fromBody = (req.body as Record<string, unknown> | undefined)?.[name];
  if (typeof fromBody === 'string' && fromBody.length > 0) return fromBody;
  const fromQuery = (req.query as Record<string, unknown> | undefined)?.[name];
  return typeof fromQuery === 'string' && fromQuery.length > 0 ? fromQuery : undefined;
}
