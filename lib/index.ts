import './augment';

export { anonymousSessions, AnonymousSessions } from './anonymous-sessions';
export type { AnonymousSessionsOptions } from './anonymous-sessions';
export type { AnonymousSession } from './session/anonymous-session';
export type { AnonymousSessionRecord, AnonymousSessionInfo, GuestSession, ActiveRecord, TransferredRecord, RevokedRecord, SessionState } from './session/record';
export type { Metadata, JsonValue, MetadataLimits, MetadataPatch, Register, RegisteredMetadata, DeepReadonly } from './session/metadata';
export type { MetadataChange, CreateInput, UpdateOptions } from './session/session-service';
export type { SessionOptions } from './session/options';
export type { RateLimitOption } from './session/creation-limit';
export { sessionCookieDefaults } from './session/cookie-defaults';
export type { AnonymousStore, CasResult, ClaimRequest, ClaimResult, HitCount, TransferLink, AccountLeaseRequest, AccountLeaseResult, ReplicationAck, RotationResult } from './store/types';
export { MemoryStore } from './store/memory';
export type { MemoryStoreOptions } from './store/memory';
export { RedisStore } from './store/redis';
export type { RedisStoreOptions, RedisScriptClient, WaitForReplicas } from './store/redis';
export type { Logger } from './config/logger';
export type { KeysOption, PrivateKeyInput, SecretInput, AsymmetricAlgorithm } from './tokens/keys';
export type { TokenOptions, ClientConfig } from './tokens/options';
export type { ClaimMapping } from './tokens/claims-mapping';
export type { AccessTokenClaims } from './tokens/access-token';
export type { TokenResponse, IssueOptions } from './tokens/token-service';
export { TokenError } from './tokens/token-error';
export type { TokenFailure } from './tokens/token-error';
export {
  AnonymousSessionError,
  ChallengeRequiredError,
  AccessDeniedError,
  ConfigurationError,
  CrossSiteRequestError,
  MetadataError,
  MisconfiguredError,
  OAuthError,
  RateLimitedError,
  SessionNotActiveError,
  StoreUnavailableError,
  TransferError,
  UpdateConflictError,
  ERROR_STATUS,
  isStoreOutage,
} from './errors';
export type { ErrorCode, OAuthErrorCode, MetadataErrorCode, CrossSiteReason } from './errors';
export { keygen } from './cli/keygen';
export type { KeygenOptions } from './cli/keygen';
export { AnonymousStrategy } from './strategy/strategy';
export type { AnonymousStrategyOptions, LocalStrategyOptions, RemoteStrategyOptions, VerifierStrategyOptions, VerifyFunction } from './strategy/strategy';
export type { AccessTokenVerifier } from './strategy/verifier';
export type { AccessTokenRefusal } from './metrics/instrumentation';
export type { MetricsOptions, MeterProviderLike, MeterLike, CounterLike, HistogramLike, InstrumentOptions, MetricAttributes } from './metrics/types';
export { isAnonymousUser } from './strategy/anonymous-user';
export type { AnonymousUser } from './strategy/anonymous-user';
export type { TransferReason, TransferContext, OnTransfer, TransferOutcome, TransferPreview, TransferEvent, TransferEventName, TransferOptions, AnonymousSnapshot, GuestSource } from './transfer/types';
export type { DroppedValue } from './transfer/drops';
export type { TransferMiddlewareOptions } from './transfer/middleware';
export { replace, keepUser, deepMerge, union, cartBySku, mergeMetadata } from './transfer/merge-policies';
export type { MergePolicy, MergeOptions, DropReporter, CartOptions } from './transfer/merge-policies';
export { sameOriginOnly, csrfToken } from './http/csrf';
export type { SameOriginOptions } from './http/csrf';
export { isSameOrigin } from './http/same-site';
export type { CorsOptions } from './router/cors';
export type { AnonymousAdmin, ListOptions, ReapOptions } from './admin/admin';
export type { GuestRecord, GuestExport, ExportedSession } from './admin/export';
export type { GuestLifecycleStore, ErasedGuest, GuestPage, GuestSessions, GuestCount, SessionCount, ExpiredClaim, ExpiredCandidate, ExpiredOutcome } from './store/lifecycle';
export type { LifecycleOptions, ReaperOptions } from './lifecycle/options';
export type { ReapReport } from './lifecycle/reaper';
export type {
  LifecycleEventName,
  LifecycleEventMap,
  LifecycleListener,
  GuestCreatedEvent,
  GuestRevokedEvent,
  GuestTransferredEvent,
  GuestExpiredEvent,
} from './lifecycle/events';
