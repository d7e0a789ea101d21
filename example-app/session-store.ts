import session, { type SessionData } from 'express-session';

type Callback<T = void> = (err?: unknown, value?: T) => void;

/**
 * The shop's express-session store when it runs without Redis: express-session's own MemoryStore has no size cap,
 * so a script loading pages in a loop (each old-browser page view saves a session for its form token) could grow
 * the process without limit. This one keeps at most `max` sessions, dropping the least recently used, and forgets
 * a session when its cookie expires. Sessions are kept as JSON, as a real store would, so no request shares objects.
 */
export class BoundedSessionStore extends session.Store {
  private readonly sessions = new Map<string, { json: string; expiresAt: number }>();

  constructor(private readonly max = 10_000) {
    super();
  }

  get size(): number {
    return this.sessions.size;
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    const entry = this.sessions.get(sid);
    if (!entry || entry.expiresAt <= Date.now()) {
      this.sessions.delete(sid);
      return defer(callback, null);
    }
    this.sessions.delete(sid); // re-inserted: the map stays in least-recently-used order
    this.sessions.set(sid, entry);
    defer(callback, JSON.parse(entry.json) as SessionData);
  }

  override set(sid: string, data: SessionData, callback?: Callback): void {
    this.sessions.delete(sid);
    this.sessions.set(sid, { json: JSON.stringify(data), expiresAt: expiryOf(data) });
    for (const oldest of this.sessions.keys()) {
      if (this.sessions.size <= this.max) break;
      this.sessions.delete(oldest);
    }
    if (callback) defer(callback);
  }

  override touch(sid: string, data: SessionData, callback?: Callback): void {
    const entry = this.sessions.get(sid);
    if (entry) entry.expiresAt = expiryOf(data);
    if (callback) defer(callback);
  }

  override destroy(sid: string, callback?: Callback): void {
    this.sessions.delete(sid);
    if (callback) defer(callback);
  }
}

/** A cookie without an expiry lives as long as the browser: keep it a day here (the shop's cookies all have one). */
function expiryOf(data: SessionData): number {
  const expires = data.cookie?.expires;
  return expires ? new Date(expires).getTime() : Date.now() + 86_400_000;
}

function defer<T>(callback: Callback<T>, value?: T): void {
  setImmediate(() => callback(undefined, value));
}
