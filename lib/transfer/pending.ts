import type { Request } from 'express';

/**
 * A guest kept for a later answer (`anon.transfer(reason, { mode: 'ask' })`): its session id and the user it may go
 * to, in the login session's server-side data, under `<sessionKey>Pending`. It is only a reference: the cookie
 * carries express-session's own (renewed) id, never the guest's.
 */
interface PendingGuest {
  sessionId: string;
  userId: string;
}

function data(req: Request): Record<string, unknown> | undefined {
  return req.session as unknown as Record<string, unknown> | undefined;
}

/** The kept guest's session id, if one is kept for `userId`. */
export function pendingGuest(req: Request, key: string, userId: string): string | undefined {
  const link = data(req)?.[key] as Partial<PendingGuest> | undefined;
  return typeof link?.sessionId === 'string' && link.userId === userId ? link.sessionId : undefined;
}

export function keepPendingGuest(req: Request, key: string, sessionId: string, userId: string): void {
  const session = data(req);
  if (session) session[key] = { sessionId, userId } satisfies PendingGuest;
}

/** Forgets the kept guest; whether there was one. */
export function dropPendingGuest(req: Request, key: string): boolean {
  const session = data(req);
  if (!session || session[key] === undefined) return false;
  delete session[key];
  return true;
}
