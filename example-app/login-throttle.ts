import type { NextFunction, Request, Response } from 'express';
import { credentialsOf } from './credentials';
import { HttpError } from './errors';

/**
 * Slows password guessing: each password check costs an scrypt hash, so without a limit one address could try
 * dozens of passwords a second against an account and keep a core busy doing it. Two fixed windows, per process
 * (several processes each count their own; a shop on many processes would keep these counters in Redis):
 * failed logins per username (10 per 15 minutes) and login attempts per client address (30 per minute).
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();
  private readonly attempts = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limits = { failuresPerUser: 10, userWindowMs: 15 * 60_000, attemptsPerAddress: 30, addressWindowMs: 60_000 },
    private readonly now: () => number = Date.now,
  ) {}

  /** Middleware before the password check: a 429 with Retry-After once either window is full. */
  guard() {
    return (req: Request, _res: Response, next: NextFunction): void => {
      const username = credentialsOf(req.body)?.username;
      const address = this.bump(this.attempts, req.ip ?? 'unknown', this.limits.addressWindowMs);
      const user = username === undefined ? undefined : this.failures.get(username.toLowerCase());
      const now = this.now();
      const wait = Math.max(
        address.count > this.limits.attemptsPerAddress ? address.resetAt - now : 0,
        user && user.resetAt > now && user.count >= this.limits.failuresPerUser ? user.resetAt - now : 0,
      );
      if (wait > 0) return next(new HttpError(429, 'too_many_attempts', 'Too many login attempts; wait a moment and try again', { 'Retry-After': String(Math.ceil(wait / 1000)) }));
      next();
    };
  }

  /** A wrong password for `username`. */
  failed(username: string): void {
    this.bump(this.failures, username.toLowerCase(), this.limits.userWindowMs);
  }

  /** A successful login clears its username's failures. */
  succeeded(username: string): void {
    this.failures.delete(username.toLowerCase());
  }

  private bump(windows: Map<string, { count: number; resetAt: number }>, key: string, windowMs: number) {
    const now = this.now();
    let entry = windows.get(key);
    if (!entry || entry.resetAt <= now) {
      entry = { count: 0, resetAt: now + windowMs };
      windows.set(key, entry);
      if (windows.size > 100_000) this.sweep(windows, now); // bounded: a flood of new keys cannot grow it for ever
    }
    entry.count++;
    return entry;
  }

  private sweep(windows: Map<string, { count: number; resetAt: number }>, now: number): void {
    for (const [key, entry] of windows) if (entry.resetAt <= now) windows.delete(key);
    for (const key of windows.keys()) {
      if (windows.size <= 100_000) break;
      windows.delete(key);
    }
  }
}
