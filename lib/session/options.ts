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
  /** Requests for which the middleware does nothing (health checks, static files). */
  skip?: (req: Request) => boolean;
  /**
   * When a new visitor's guest is stored (and its cookie set). Until then `req.anonymous` is provisional: it works,
   * costs nothing, and is stored the moment the app writes metadata or asks for tokens.
   * - `'page-view'` (default): also on a successful page view: a `GET` answered `2xx` with an HTML page, to a visitor
   *   that is not a known crawler. 404s, favicons, `HEAD`, CORS preflights, API calls (JSON) and crawlers store nothing.
   * - `'write'`: only when the app writes metadata or asks for tokens (nothing stored for browsing alone).
   * - `'always'`: on the first request, whatever it is.
   */
  persist?: 'page-view' | 'write' | 'always';
  /** Whether a request is from a crawler (no guest is stored for it on a page view). Default: a list of known bots. */
  isCrawler?: (req: Request) => boolean;
  /**
   * Give signed-in users (`req.isAuthenticated()`) a guest too. Default false: their cart belongs to their account, so
   * no guest is created for them (one bound before login is still loaded until it is transferred).
   */
  guestsForSignedInUsers?: boolean;
}

export type PersistPolicy = NonNullable<SessionOptions['persist']>;

export interface ResolvedSessionOptions {
  idPrefix: string;
  lifetimes: Lifetimes & { touchInterval: number };
  limits: MetadataLimits & { updateAttempts: number };
  sessionKey: string;
  skip: ((req: Request) => boolean) | undefined;
  persist: PersistPolicy;
  isCrawler: (req: Request) => boolean;
  guestsForSignedInUsers: boolean;
}

export const SESSION_OPTION_NAMES = ['idPrefix', 'lifetimes', 'limits', 'sessionKey', 'skip', 'persist', 'isCrawler', 'guestsForSignedInUsers'] as const;

/**
 * Crawlers and link previewers by their own names (Google, Bing, Yandex, Baidu, DuckDuckGo, Apple, social previews,
 * SEO tools, generic bots, HTTP libraries). A visitor that hides is a normal visitor: the creation limit bounds it.
 */
const KNOWN_CRAWLER = /bot\b|crawl|spider|slurp|bingpreview|facebookexternalhit|embedly|quora link preview|whatsapp|telegrambot|discordbot|pingdom|uptime|curl\/|wget\/|python-requests|python-urllib|go-http-client|okhttp|java\/|libwww|httpclient|axios\/|node-fetch|undici/i;

export function isKnownCrawler(req: Request): boolean {
  const agent = req.get('user-agent');
  return agent === undefined || agent === '' || KNOWN_CRAWLER.test(agent);
}

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
    persist: persistPolicy(options.persist),
    isCrawler: optionalFunction(options.isCrawler, 'isCrawler') ?? isKnownCrawler,
    guestsForSignedInUsers: boolean(options.guestsForSignedInUsers ?? false, 'guestsForSignedInUsers'),
  };
  if (resolved.lifetimes.idle > resolved.lifetimes.absolute) {
    throw new ConfigurationError('lifetimes.idle', 'must not exceed lifetimes.absolute');
  }
  return resolved;
}

function persistPolicy(value: unknown): PersistPolicy {
  if (value === undefined) return 'page-view';
  if (value === 'page-view' || value === 'write' || value === 'always') return value;
  throw new ConfigurationError('persist', `must be 'page-view', 'write' or 'always', got ${JSON.stringify(value)}`);
}

function idPrefix(value: unknown): string {
  const text = nonEmptyString(value, 'idPrefix');
  if (text.length > 32 || /[\s"\\]/.test(text)) {
    throw new ConfigurationError('idPrefix', 'must be at most 32 characters, without spaces, quotes or backslashes');
  }
  return text;
}
