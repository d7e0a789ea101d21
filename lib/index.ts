import './augment';

export { anonymousSessions, AnonymousSessions } from './anonymous-sessions';
export type { AnonymousSessionsOptions } from './options';
export { AnonymousSession } from './anonymous-session';
export type { AnonymousSessionRecord, SessionState } from './session-record';
export type { Metadata, JsonValue, MetadataLimits } from './metadata';
export type { MetadataChange, CreateInput, UpdateOptions } from './session-service';
export type { AnonymousStore, CasResult, ClaimRequest, ClaimResult } from './store/types';
export { MemoryStore } from './store/memory';
export type { MemoryStoreOptions } from './store/memory';
export { RedisStore } from './store/redis';
export type { RedisStoreOptions, RedisScriptClient } from './store/redis';
export type { Logger } from './warn';
export type { KeysOption, PrivateKeyInput, SecretInput, AsymmetricAlgorithm } from './keys';
export type { TokenOptions, ClientConfig, RateLimitOption } from './token-options';
export type { ClaimMapping } from './tokens/claims-mapping';
export type { AccessTokenClaims } from './tokens/access-token';
export type { TokenResponse, IssueOptions } from './tokens/token-service';
export { RateLimitedError } from './rate-limit';
export {
  AnonymousSessionError,
  ConfigurationError,
  MetadataError,
  StoreUnavailableError,
  SessionNotActiveError,
  UpdateConflictError,
  OAuthError,
} from './errors';
export { keygen } from './keygen';
export type { KeygenOptions } from './keygen';
export { AnonymousStrategy } from './strategy/strategy';
export type { AnonymousStrategyOptions, LocalStrategyOptions, RemoteStrategyOptions, VerifyFunction } from './strategy/strategy';
export { isAnonymousUser } from './strategy/anonymous-user';
export type { AnonymousUser } from './strategy/anonymous-user';
export type { TransferReason, TransferContext, OnTransfer, TransferOutcome, TransferPreview, TransferEvent, TransferOptions, AnonymousSnapshot } from './transfer/types';
export type { TransferLink } from './store/types';
export type { TransferMiddlewareOptions } from './transfer/middleware';
export { replace, keepUser, deepMerge, union, cartBySku, mergeMetadata } from './transfer/merge-policies';
export type { MergePolicy, CartOptions } from './transfer/merge-policies';
export { sessionCookieDefaults } from './cookie-defaults';
export { sameOriginOnly, csrfToken, isSameOrigin, CrossSiteRequestError, type SameOriginOptions, type CrossSiteReason } from './csrf';
