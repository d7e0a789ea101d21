import type {} from 'express-session';
import type { AnonymousSession } from './anonymous-session';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The current guest, set by `anon.middleware()`; undefined where `skip` matched or before the middleware. */
      anonymous?: AnonymousSession;
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    /** Id of the anonymous session bound to this browser (under the default `sessionKey`). */
    anonymous?: string;
  }
}

export {};
