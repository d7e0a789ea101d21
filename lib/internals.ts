import type { TokenRotation } from './session/token-rotation';
import type { AnonymousStore } from './store/types';
import type { Logger } from './config/logger';
import type { SessionService } from './session/session-service';
import type { SessionBinding } from './session/binding';
import type { HandleServices } from './session/anonymous-session';
import type { TokenService } from './tokens/token-service';
import type { TransferService } from './transfer/transfer-service';
import type { AccessTokenVerifier } from './strategy/verifier';
import type { ResolvedCors } from './router/cors';
import type { Instrumentation } from './metrics/instrumentation';
import type { LifecycleEmitter } from './lifecycle/events';
import type { Reaper } from './lifecycle/reaper';
import type { AdminService } from './admin/admin';

/**
 * The services behind one `anonymousSessions()` instance. Held in a WeakMap keyed by the public facade (as
 * node-oidc-provider's weak_cache), so the published types show only the public surface: no keys, no services.
 */
export interface Internals {
  store: AnonymousStore;
  /** Whether the store is the embedded default this instance made (and `close()` stops). */
  ownsStore: boolean;
  sessions: SessionService;
  binding: SessionBinding;
  tokens: TokenService;
  transfers: TransferService;
  /** Session-token rotation; undefined when `sessionTokenRotation: false`. */
  rotation: TokenRotation | undefined;
  handles: HandleServices;
  verifier: AccessTokenVerifier;
  logger: Logger;
  /** What the library counts and times; `noMetrics` when metrics are off. */
  metrics: Instrumentation;
  clock: () => number;
  retryAfter: number;
  cors: ResolvedCors | undefined;
  /** Lifecycle listeners (`created`, `revoked`, `transferred`, `expired`). */
  events: LifecycleEmitter;
  /** Present when the store implements GuestLifecycleStore; started unless `lifecycle.reaper` is false. */
  reaper: Reaper | undefined;
  admin: AdminService;
}

const held = new WeakMap<object, Internals>();

export function holdInternals(facade: object, internals: Internals): void {
  held.set(facade, internals);
}

/** The services of a facade this library made. Tests reach them through spec/support/internals.ts. */
export function internalsOf(facade: object): Internals {
  const internals = held.get(facade);
  if (!internals) throw new TypeError('not an instance made by anonymousSessions()');
  return internals;
}
