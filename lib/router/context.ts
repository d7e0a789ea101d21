import type { ResolvedOptions } from '../options';
import type { SessionService } from '../session-service';
import type { TokenService } from '../tokens/token-service';
import type { CreationLimiter } from '../rate-limit';
import type { TransferService } from '../transfer/transfer-service';

/** What every endpoint of the router shares. */
export interface RouterContext {
  options: ResolvedOptions;
  service: SessionService;
  tokens: TokenService;
  limiter: CreationLimiter | undefined;
  transfers: TransferService;
}
