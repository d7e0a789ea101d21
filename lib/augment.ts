import type {} from 'express-session';
import type { AnonymousSession } from './session/anonymous-session';
import type { TransferOutcome } from './transfer/types';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The current guest, set by `anon.middleware()`; undefined where `skip` matched or before the middleware. */
      anonymous?: AnonymousSession;
      /** What `anon.transfer()` did on this request. */
      anonymousTransfer?: TransferOutcome;
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
