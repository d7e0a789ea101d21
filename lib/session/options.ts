import type { Request } from 'express';
import type { MetadataLimits } from './metadata';
import type { Lifetimes } from './record';
import { ConfigurationError } from '../errors';
import { boolean, nonEmptyString, optionalFunction, optionsObject, positiveInteger } from '../config/validate';

/** Options of the guest itself: ids, lifetimes, metadata limits, and when the middleware acts. */
export interface SessionOptions {
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
}

export interface ResolvedSessionOptions {
  idPrefix: string;
  lifetimes: Lifetimes & { touchInterval: number };
  limits: MetadataLimits & { updateAttempts: number };
  sessionKey: string;
  skip: ((req: Request) => boolean) | undefined;
  lazy: boolean;
}

export const SESSION_OPTION_NAMES = ['idPrefix', 'lifetimes', 'limits', 'sessionKey', 'skip', 'lazy'] as const;

const DAY = 24 * 60 * 60;

export function resolveSessionOptions(options: SessionOptions): ResolvedSessionOptions {
  const lifetimes = optionsObject(options.lifetimes, 'lifetimes', ['idle', 'absolute', 'touchInterval']);
  const limits = optionsObject(options.limits, 'limits', ['metadataBytes', 'metadataDepth', 'metadataKeys', 'updateAttempts']);
  const resolved: ResolvedSessionOptions = {
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
    lazy: boolean(options.lazy ?? false, 'lazy'),
  };
  if (resolved.lifetimes.idle > resolved.lifetimes.absolute) {
    throw new ConfigurationError('lifetimes.idle', 'must not exceed lifetimes.absolute');
  }
  return resolved;
}

function idPrefix(value: unknown): string {
  const text = nonEmptyString(value, 'idPrefix');
  if (text.length > 32 || /[\s"\\]/.test(text)) {
    throw new ConfigurationError('idPrefix', 'must be at most 32 characters, without spaces, quotes or backslashes');
  }
  return text;
}
