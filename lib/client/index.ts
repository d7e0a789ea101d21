export { createAnonymousClient, type AnonymousClient, type TransferTicket } from './client';
export type { AnonymousClientOptions, ClientEndpoints, FetchFunction } from './options';
export type { ClientStorage, StorageName } from './storage';
export type { GuestChangeEvent, GuestChangeListener, GuestChangeReason } from './guest-events';
export { AnonymousClientError, type ClientErrorCode, type OAuthErrorCode } from './errors';
