import type { Request } from 'express';
import { StoreUnavailableError } from './errors';

/**
 * The browser's link to its anonymous session: one id under `key` in `req.session` (express-session),
 * so the cookie carries only express-session's signed id and the anonymous record stays server-side.
 */

export function boundSessionId(req: Request, key: string): string | undefined {
  const value = (req.session as unknown as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** Binds and saves at once: express-session would save after the response, when a failure can no longer be reported. */
export async function bind(req: Request, key: string, sessionId: string): Promise<void> {
  (req.session as unknown as Record<string, unknown>)[key] = sessionId;
  await saveSession(req);
}

export function unbind(req: Request, key: string): void {
  if (req.session) delete (req.session as unknown as Record<string, unknown>)[key];
}

export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.save((err: unknown) =>
      err ? reject(new StoreUnavailableError('The session store is unavailable', 5, err)) : resolve(),
    );
  });
}

/**
 * express-session silently sends no cookie when `cookie.secure` is true on a plain-HTTP request (a TLS proxy
 * without `app.set('trust proxy', …)`): a guest minted then would be orphaned on every request.
 */
export function cookieWillBeDropped(req: Request): boolean {
  return req.session.cookie?.secure === true && !req.secure;
}
