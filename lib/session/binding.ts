import type { Request } from 'express';
import { StoreUnavailableError } from '../errors';

/**
 * The browser's link to its anonymous session: one id under `key` in `req.session` (express-session), so the
 * cookie carries only express-session's signed id and the anonymous record stays server-side.
 */
export class SessionBinding {
  /** The express-session id each request arrived with, to tell later whether it was renewed. */
  private readonly arrivedWith = new WeakMap<Request, string>();

  constructor(
    readonly key: string,
    private readonly retryAfter: number,
  ) {}

  boundId(req: Request): string | undefined {
    const value = (req.session as unknown as Record<string, unknown> | undefined)?.[this.key];
    return typeof value === 'string' ? value : undefined;
  }

  /** Binds and saves at once: express-session would save after the response, when a failure can no longer be reported. */
  async bind(req: Request, sessionId: string): Promise<void> {
    (req.session as unknown as Record<string, unknown>)[this.key] = sessionId;
    await this.save(req);
  }

  unbind(req: Request): void {
    if (req.session) delete (req.session as unknown as Record<string, unknown>)[this.key];
  }

  save(req: Request): Promise<void> {
    return new Promise((resolve, reject) => {
      req.session.save((err: unknown) => (err ? reject(new StoreUnavailableError('The session store is unavailable', this.retryAfter, err)) : resolve()));
    });
  }

  /** Called by the middleware: the express-session id the request arrived with. */
  remember(req: Request): void {
    this.arrivedWith.set(req, req.sessionID ?? '');
  }

  /** Whether the middleware already looked at this request's binding. */
  visited(req: Request): boolean {
    return this.arrivedWith.has(req);
  }

  /** Whether the express-session id is still the one the request arrived with (no `req.login()` renewed it). */
  stillArrivalId(req: Request): boolean {
    return req.sessionID !== undefined && req.sessionID === this.arrivedWith.get(req);
  }

  /**
   * express-session silently sends no cookie when `cookie.secure` is true on a plain-HTTP request (a TLS proxy
   * without `app.set('trust proxy', …)`): a guest minted then would be orphaned on every request.
   */
  cookieWillBeDropped(req: Request): boolean {
    return req.session.cookie?.secure === true && !req.secure;
  }
}
