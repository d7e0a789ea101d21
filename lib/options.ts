import type { Request } from 'express';
import type { AnonymousStore } from './store/types';
import type { MetadataLimits } from './metadata';
import type { Lifetimes } from './session-record';
import type { Logger } from './warn';
import type { ResolvedTokenOptions, TokenOptions } from './token-options';
import { resolveTokenOptions } from './token-options';
import type { OnTransfer, TransferOptions } from './transfer/types';
import type { ResolvedTransferOptions } from './transfer/transfer-service';
import { ConfigurationError } from './errors';
import { nonEmptyString, optionalFunction, positiveInteger } from './validate';
import { consoleLogger } from './warn';

/** Options of `anonymousSessions()`. Every duration is in seconds, as in OAuth's `expires_in`. */
export interface AnonymousSessionsOptions extends TokenOptions {
  /** Issuer identifier (`iss`) of every token: an absolute URL. Required. */
  issuer: string;
  /** Default audience (`aud`) of access tokens: the API(s) they are for. Required. */
  audience: string | string[];
  /** Where anonymous sessions live. Default: a `MemoryStore` (one process; warns in production). */
  store?: AnonymousStore;
  /** Prefix of anonymous user ids. Default `"anon|"`. */
  idPrefix?: string;
  lifetimes?: {
    /** Idle timeout: a session unused this long ends. Default 7 days. */
    idle?: number;
    /** Absolute lifetime: no session outlives this. Default 30 days. */
    absolute?: number;
    /** Activity is written back at most this often per session (saves a write per request). Default 60. */
    touchInterval?: number;
  };
  limits?: Partial<MetadataLimits> & {
    /** Optimistic-concurrency retries of one metadata update before `UpdateConflictError`. Default 10. */
    updateAttempts?: number;
  };
  /** Key under which `req.session` holds the anonymous session id. Default `"anonymous"`. */
  sessionKey?: string;
  /** Requests for which the middleware does nothing (health checks, bots, static files). */
  skip?: (req: Request) => boolean;
  /**
   * Lazy persistence: a new visitor gets a provisional `req.anonymous`; nothing is stored and no cookie is
   * set until the app writes metadata or asks for tokens. Default `false`.
   */
  lazy?: boolean;
  /** Clock in epoch milliseconds (tests freeze it). Default `Date.now`. */
  clock?: () => number;
  /** Receives warnings. Default `console`. */
  logger?: Logger;
  /** Merges a guest into the real user at login and sign-up; returns the merged user. */
  onTransfer?: OnTransfer;
  transfer?: TransferOptions;
}

export interface ResolvedOptions {
  issuer: string;
  audience: string[];
  store: AnonymousStore | undefined;
  idPrefix: string;
  lifetimes: Lifetimes & { touchInterval: number };
  limits: MetadataLimits & { updateAttempts: number };
  sessionKey: string;
  skip: ((req: Request) => boolean) | undefined;
  lazy: boolean;
  clock: () => number;
  logger: Logger;
  tokens: ResolvedTokenOptions;
  transfer: ResolvedTransferOptions;
}

const DAY = 24 * 60 * 60;

/** Validates once, at construction; every message names the option. */
export function resolveOptions(options: AnonymousSessionsOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new ConfigurationError('options', 'anonymousSessions() needs an options object with issuer and audience');
  }
  const lifetimes = options.lifetimes ?? {};
  const limits = options.limits ?? {};
  const resolvedIssuer = issuer(options.issuer);
  const resolvedAudience = audience(options.audience);
  const resolved: ResolvedOptions = {
    issuer: resolvedIssuer,
    audience: resolvedAudience,
    store: options.store,
    idPrefix: idPrefix(options.idPrefix ?? 'anon|'),
    lifetimes: {
      idle: positiveInteger(lifetimes.idle ?? 7 * DAY, 'lifetimes.idle'),
      absolute: positiveInteger(lifetimes.absolute ?? 30 * DAY, 'lifetimes.absolute'),
      touchInterval: positiveInteger(lifetimes.touchInterval ?? 60, 'lifetimes.touchInterval'),
    },
    limits: {
      metadataBytes: positiveInteger(limits.metadataBytes ?? 4096, 'limits.metadataBytes'),
      metadataDepth: positiveInteger(limits.metadataDepth ?? 5, 'limits.metadataDepth'),
      metadataKeys: positiveInteger(limits.metadataKeys ?? 100, 'limits.metadataKeys'),
      updateAttempts: positiveInteger(limits.updateAttempts ?? 10, 'limits.updateAttempts'),
    },
    sessionKey: nonEmptyString(options.sessionKey ?? 'anonymous', 'sessionKey'),
    skip: optionalFunction(options.skip, 'skip'),
    lazy: options.lazy ?? false,
    clock: optionalFunction(options.clock, 'clock') ?? Date.now,
    logger: options.logger ?? consoleLogger,
    tokens: resolveTokenOptions(options, resolvedAudience),
    transfer: resolveTransferOptions(options),
  };
  if (typeof resolved.lazy !== 'boolean') throw new ConfigurationError('lazy', 'must be a boolean');
  if (resolved.lifetimes.idle > resolved.lifetimes.absolute) {
    throw new ConfigurationError('lifetimes.idle', 'must not exceed lifetimes.absolute');
  }
  const store = options.store;
  if (store !== undefined && (store === null || typeof store.get !== 'function' || typeof store.claim !== 'function')) {
    throw new ConfigurationError('store', 'must implement AnonymousStore (e.g. new RedisStore({ client }))');
  }
  if (typeof resolved.logger?.warn !== 'function') throw new ConfigurationError('logger', 'must have a warn(message) method');
  return resolved;
}

function issuer(value: unknown): string {
  const text = nonEmptyString(value, 'issuer');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigurationError('issuer', `must be an absolute URL, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError('issuer', 'must be an http(s) URL');
  }
  if (url.search || url.hash) throw new ConfigurationError('issuer', 'must not have a query or fragment (RFC 8414)');
  return text;
}

function audience(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new ConfigurationError('audience', 'must name at least one audience');
  return list.map((item, i) => nonEmptyString(item, Array.isArray(value) ? `audience[${i}]` : 'audience'));
}

function idPrefix(value: unknown): string {
  const text = nonEmptyString(value, 'idPrefix');
  if (text.length > 32 || /[\s"\\]/.test(text)) {
    throw new ConfigurationError('idPrefix', 'must be at most 32 characters, without spaces, quotes or backslashes');
  }
  return text;
}

function resolveTransferOptions(options: AnonymousSessionsOptions): ResolvedTransferOptions {
  const t = options.transfer ?? {};
  const ticketLifetime = positiveInteger(t.ticketLifetime ?? 30, 'transfer.ticketLifetime');
  if (ticketLifetime > 30) throw new ConfigurationError('transfer.ticketLifetime', 'must be at most 30 seconds');
  return {
    onTransfer: optionalFunction(options.onTransfer, 'onTransfer'),
    lease: positiveInteger(t.lease ?? 30, 'transfer.lease'),
    linkRetention: positiveInteger(t.linkRetention ?? 90 * DAY, 'transfer.linkRetention'),
    ticketLifetime,
    getUserId: optionalFunction(t.getUserId, 'transfer.getUserId') ?? ((user) => (user as { id?: string }).id as string),
  };
}
