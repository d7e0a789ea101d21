import type { SessionService } from '../session/session-service';
import type { SessionBinding } from '../session/binding';
import type { HandleServices } from '../session/anonymous-session';
import type { TokenService } from '../tokens/token-service';
import type { TransferService } from '../transfer/transfer-service';
import type { Logger } from '../config/logger';
import type { ResolvedCors } from './cors';
import type { Instrumentation } from '../metrics/instrumentation';
import type { TokenRotation } from '../session/token-rotation';

/** What every endpoint of the router shares. */
export interface RouterContext {
  sessions: SessionService;
  binding: SessionBinding;
  tokens: TokenService;
  transfers: TransferService;
  /** What `req.anonymous` needs, for endpoints that load the browser's guest themselves. */
  handles: HandleServices;
  /** `Retry-After` seconds for an outage, from the store. */
  retryAfter: number;
  logger: Logger;
  /** CORS for token-mode SPAs on the listed origins; undefined: no CORS headers. */
  cors?: ResolvedCors;
  metrics: Instrumentation;
  /** Session-token rotation; undefined when `sessionTokenRotation: false`. */
  rotation?: TokenRotation;
}
