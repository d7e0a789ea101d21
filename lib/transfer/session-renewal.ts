import type { Request } from 'express';
import type { SessionBinding } from '../session/binding';

/**
 * No fixation: after a transfer the browser's express-session id must be new. Passport 0.6+ `req.login()` already
 * regenerated it; otherwise regenerate here, carrying the session's data (the login) over.
 */
export async function renewSessionId(req: Request, binding: SessionBinding): Promise<void> {
  if (!req.session || !binding.stillArrivalId(req)) return;
  const data = { ...(req.session as unknown as Record<string, unknown>) };
  delete data.cookie;
  await new Promise<void>((resolve, reject) => req.session.regenerate((err: unknown) => (err ? reject(err) : resolve())));
  Object.assign(req.session, data);
  await binding.save(req);
}

/** Passport sessions in use: store the merged user in the login session too (keeping the session's other data). */
export async function relogin(req: Request, user: Express.User): Promise<void> {
  const passportData = (req.session as unknown as { passport?: { user?: unknown } } | undefined)?.passport;
  if (passportData?.user === undefined || typeof req.login !== 'function') return;
  await new Promise<void>((resolve, reject) => req.login(user, { session: true, keepSessionInfo: true }, (err: unknown) => (err ? reject(err) : resolve())));
}
