import type { SessionService } from '../session/session-service';
import type { SessionBinding } from '../session/binding';
import type { TokenService } from '../tokens/token-service';
import type { TransferService } from '../transfer/transfer-service';

/** What every endpoint of the router shares. */
export interface RouterContext {
  sessions: SessionService;
  binding: SessionBinding;
  tokens: TokenService;
  transfers: TransferService;
  /** `Retry-After` seconds for an outage, from the store. */
  retryAfter: number;
}
