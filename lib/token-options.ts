import type { KeyRing, KeysOption } from './keys';
import type { CompiledClaim, ClaimMapping } from './tokens/claims-mapping';
import { resolveAccessKeys, resolveSessionKeys } from './keys';
import { compileClaims } from './tokens/claims-mapping';
import { ConfigurationError } from './errors';
import { SCOPE_TOKEN, nonEmptyString, positiveInteger } from './validate';

/** An OAuth client of the token endpoint. */
export interface ClientConfig {
  id: string;
  /** Makes the client confidential (`client_secret_basic` or `client_secret_post`); at least 32 characters. */
  secret?: string;
  /** Audiences it may ask for. Default: the `audience` option. */
  audiences?: string[];
  /** Scopes it may ask for. Default: every scope in `scopes`. */
  scopes?: string[];
  /** Scope granted when a request names none. Default: none (least privilege). */
  defaultScopes?: string[];
  /** Whether it may supply its own anonymous user id at creation. Default false. */
  allowUserIds?: boolean;
}

export interface ResolvedClient {
  id: string;
  secret: string | undefined;
  audiences: string[];
  scopes: Set<string>;
  defaultScopes: string[];
  allowUserIds: boolean;
}

export interface RateLimitOption {
  /** Sessions one client IP (IPv6: one prefix) may create per `duration`. Default 30. */
  points?: number;
  /** Window in seconds. Default 60. */
  duration?: number;
  /** IPv6 addresses are grouped by this prefix length, since one subscriber gets a whole prefix. Default 56. */
  ipv6Prefix?: number;
}

export interface TokenOptions {
  keys?: KeysOption;
  /** OAuth clients. Default: one public client `default` (the embedded default needs no set-up). */
  clients?: ClientConfig[];
  /** Scopes this server knows (published in its metadata). Default none. */
  scopes?: string[];
  /** Access-token lifetime in seconds, never beyond the session. Default 900 (15 min); at most 3600. */
  accessTokenLifetime?: number;
  /** Leeway for `exp`/`iat` between servers, seconds. Default 5; at most 60. */
  clockTolerance?: number;
  /** Session attributes copied into access tokens. At most 20. */
  claims?: ClaimMapping[];
  /** Creation rate limit per client IP, counted in the store (Redis: across processes). `false` turns it off. */
  rateLimit?: RateLimitOption | false;
  /** Longest token accepted, in characters; longer ones are refused before any parsing. Default 16384. */
  maxTokenLength?: number;
}

export interface ResolvedTokenOptions {
  accessKeys: KeyRing;
  sessionKeys: KeyRing;
  sessionTokenFormat: 'jws' | 'jwe';
  clients: Map<string, ResolvedClient>;
  /** True when no clients were configured: the public `default` client serves and `client_id` may be omitted. */
  defaultClient: boolean;
  scopes: string[];
  accessTokenLifetime: number;
  clockTolerance: number;
  claims: CompiledClaim[];
  rateLimit: Required<RateLimitOption> | false;
  maxTokenLength: number;
}

export const DEFAULT_CLIENT_ID = 'default';

export function resolveTokenOptions(options: TokenOptions, audience: string[]): ResolvedTokenOptions {
  const format = options.keys?.sessionTokenFormat ?? 'jws';
  if (format !== 'jws' && format !== 'jwe') throw new ConfigurationError('keys.sessionTokenFormat', 'must be "jws" or "jwe"');
  const scopes = (options.scopes ?? []).map((s, i) => scope(s, `scopes[${i}]`));
  const accessTokenLifetime = positiveInteger(options.accessTokenLifetime ?? 900, 'accessTokenLifetime');
  if (accessTokenLifetime > 3600) throw new ConfigurationError('accessTokenLifetime', 'must be at most 3600 seconds: access tokens are short-lived');
  const clockTolerance = options.clockTolerance ?? 5;
  if (!Number.isSafeInteger(clockTolerance) || clockTolerance < 0 || clockTolerance > 60) {
    throw new ConfigurationError('clockTolerance', 'must be an integer from 0 to 60 seconds');
  }
  const clients = resolveClients(options.clients, audience, scopes);
  return {
    accessKeys: resolveAccessKeys(options.keys?.accessToken),
    sessionKeys: resolveSessionKeys(options.keys?.sessionToken, format),
    sessionTokenFormat: format,
    clients,
    defaultClient: options.clients === undefined,
    scopes,
    accessTokenLifetime,
    clockTolerance,
    claims: compileClaims(options.claims),
    rateLimit: rateLimit(options.rateLimit),
    maxTokenLength: positiveInteger(options.maxTokenLength ?? 16384, 'maxTokenLength'),
  };
}

function resolveClients(list: ClientConfig[] | undefined, audience: string[], scopes: string[]): Map<string, ResolvedClient> {
  const clients = new Map<string, ResolvedClient>();
  if (list === undefined) {
    clients.set(DEFAULT_CLIENT_ID, { id: DEFAULT_CLIENT_ID, secret: undefined, audiences: audience, scopes: new Set(scopes), defaultScopes: [], allowUserIds: false });
    return clients;
  }
  if (!Array.isArray(list) || list.length === 0) throw new ConfigurationError('clients', 'must be a non-empty array (omit it for the public default client)');
  list.forEach((c, i) => {
    const option = `clients[${i}]`;
    const id = nonEmptyString(c?.id, `${option}.id`);
    if (clients.has(id)) throw new ConfigurationError(`${option}.id`, `duplicates the client "${id}"`);
    if (c.secret !== undefined && (typeof c.secret !== 'string' || c.secret.length < 32)) {
      throw new ConfigurationError(`${option}.secret`, 'must be at least 32 characters of random text');
    }
    const audiences = (c.audiences ?? audience).map((a, j) => nonEmptyString(a, `${option}.audiences[${j}]`));
    const allowed = (c.scopes ?? scopes).map((s, j) => scope(s, `${option}.scopes[${j}]`));
    const unknown = allowed.find((s) => !scopes.includes(s));
    if (unknown) throw new ConfigurationError(`${option}.scopes`, `"${unknown}" is not in the scopes option`);
    const defaults = (c.defaultScopes ?? []).map((s, j) => scope(s, `${option}.defaultScopes[${j}]`));
    if (defaults.some((s) => !allowed.includes(s))) throw new ConfigurationError(`${option}.defaultScopes`, 'must be a subset of its scopes');
    clients.set(id, { id, secret: c.secret, audiences, scopes: new Set(allowed), defaultScopes: defaults, allowUserIds: c.allowUserIds === true });
  });
  return clients;
}

function scope(value: unknown, option: string): string {
  if (typeof value !== 'string' || !SCOPE_TOKEN.test(value)) throw new ConfigurationError(option, 'must be an RFC 6749 scope token (no spaces or quotes)');
  return value;
}

function rateLimit(value: RateLimitOption | false | undefined): Required<RateLimitOption> | false {
  if (value === false) return false;
  const v = value ?? {};
  const ipv6Prefix = v.ipv6Prefix ?? 56;
  if (!Number.isSafeInteger(ipv6Prefix) || ipv6Prefix < 16 || ipv6Prefix > 128) {
    throw new ConfigurationError('rateLimit.ipv6Prefix', 'must be an integer from 16 to 128');
  }
  return {
    points: positiveInteger(v.points ?? 30, 'rateLimit.points'),
    duration: positiveInteger(v.duration ?? 60, 'rateLimit.duration'),
    ipv6Prefix,
  };
}
