import './augment';

export { anonymousSessions, AnonymousSessions } from './anonymous-sessions';
export type { AnonymousSessionsOptions } from './options';
export { AnonymousSession } from './anonymous-session';
export type { AnonymousSessionRecord, SessionState } from './session-record';
export type { Metadata, JsonValue, MetadataLimits } from './metadata';
export type { MetadataChange, CreateInput } from './session-service';
export type { AnonymousStore, CasResult, ClaimRequest, ClaimResult } from './store/types';
export { MemoryStore } from './store/memory';
export type { MemoryStoreOptions } from './store/memory';
export { RedisStore } from './store/redis';
export type { RedisStoreOptions, RedisScriptClient } from './store/redis';
export type { Logger } from './warn';
export {
  AnonymousSessionError,
  ConfigurationError,
  MetadataError,
  StoreUnavailableError,
  SessionNotActiveError,
  UpdateConflictError,
  OAuthError,
} from './errors';
