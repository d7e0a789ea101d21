import type { KeyRing, KeysOption } from './keys';
import type { CompiledClaim, ClaimMapping } from './claims-mapping';
import { resolveAccessKeys, resolveSessionKeys } from './keys';
import { compileClaims } from './claims-mapping';
import { ConfigurationError } from '../errors';
import { SCOPE_TOKEN, integerInRange, nonEmptyString, optionsObject, positiveInteger } from '../config/validate';

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

/** Options of the tokens: who issues them, for whom, with which keys and claims. */
export interface TokenOptions {
  /** Issuer identifier (`iss`) of every token: an absolute URL. Required. */
  issuer: string;
  /** Default audience (`aud`) of access tokens: the API(s) they are for. Required. */
  audience: string | string[];
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
  /** Longest token accepted, in characters; longer ones are refused before any parsing. Default 16384. */
  maxTokenLength?: number;
  /**
   * Session tokens rotate: each renewal answers the next one, and a replaced token used again after `reuseGrace`
   * seconds revokes the session (RFC 9700 reuse detection). Default `{ reuseGrace: 30 }`; `false` keeps every
   * session token good until its session ends.
   */
  sessionTokenRotation?: false | { reuseGrace?: number };
  /**
   * Under `NODE_ENV=production`, start without `keys` (ephemeral keys: tokens die with the process and no other
   * process verifies them). Default false: production refuses to start without keys.
   */
  allowEphemeralKeys?: boolean;
}

export interface ResolvedTokenOptions {
  issuer: string;
  audience: string[];
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
  maxTokenLength: number;
  /** Milliseconds a replaced session token stays good; undefined: no rotation. */
  reuseGraceMs: number | undefined;
}

export const TOKEN_OPTION_NAMES = ['issuer', 'audience', 'keys', 'clients', 'scopes', 'accessTokenLifetime', 'clockTolerance', 'claims', 'maxTokenLength', 'allowEphemeralKeys', 'sessionTokenRotation'] as const;

export const DEFAULT_CLIENT_ID = 'default';

export function resolveTokenOptions(options: TokenOptions): ResolvedTokenOptions {
  const resolvedIssuer = issuer(options.issuer);
  const resolvedAudience = audience(options.audience);
  const keys = keysObject(options.keys);
  const format = keys.sessionTokenFormat ?? 'jws';
  if (format !== 'jws' && format !== 'jwe') throw new ConfigurationError('keys.sessionTokenFormat', 'must be "jws" or "jwe"');
  const scopes = list(options.scopes, 'scopes').map((s, i) => scope(s, `scopes[${i}]`));
  const accessTokenLifetime = positiveInteger(options.accessTokenLifetime ?? 900, 'accessTokenLifetime');
  if (accessTokenLifetime > 3600) throw new ConfigurationError('accessTokenLifetime', 'must be at most 3600 seconds: access tokens are short-lived');
  const accessKeys = resolveAccessKeys(keys.accessToken);
  const sessionKeys = resolveSessionKeys(keys.sessionToken, format);
  const missing = [accessKeys.ephemeral && 'keys.accessToken', sessionKeys.ephemeral && 'keys.sessionToken'].filter(Boolean);
  if (missing.length && process.env.NODE_ENV === 'production' && options.allowEphemeralKeys !== true) {
    throw new ConfigurationError(
      String(missing[0]),
      'is required under NODE_ENV=production: ephemeral keys die with the process and other processes cannot verify them. ' +
        'Run `npx express-anonymous-session keygen`, keep the output in your secret manager and pass it parsed as `keys` ' +
        '(or set allowEphemeralKeys: true to accept that)',
    );
  }
  return {
    issuer: resolvedIssuer,
    audience: resolvedAudience,
    accessKeys,
    sessionKeys,
    sessionTokenFormat: format,
    clients: resolveClients(options.clients, resolvedAudience, scopes),
    defaultClient: options.clients === undefined,
    scopes,
    accessTokenLifetime,
    clockTolerance: integerInRange(options.clockTolerance ?? 5, 'clockTolerance', 0, 60),
    claims: compileClaims(options.claims),
    maxTokenLength: positiveInteger(options.maxTokenLength ?? 16384, 'maxTokenLength'),
    reuseGraceMs: reuseGrace(options.sessionTokenRotation),
  };
}

function reuseGrace(value: TokenOptions['sessionTokenRotation']): number | undefined {
  if (value === false) return undefined;
  if (value !== undefined && (value === null || typeof value !== 'object')) {
    throw new ConfigurationError('sessionTokenRotation', `must be false or { reuseGrace }, got ${value === true ? 'true (it is on by default: leave it out)' : typeof value}`);
  }
  const o = optionsObject(value, 'sessionTokenRotation', ['reuseGrace']);
  // Long enough for a retry after a lost response; every second of it is a second a thief's copy also works.
  return integerInRange(o.reuseGrace ?? 30, 'sessionTokenRotation.reuseGrace', 0, 300) * 1000;
}

const KEY_NAMES = ['accessToken', 'sessionToken', 'sessionTokenFormat'];
const KEYGEN_SHAPE = 'pass the object `npx express-anonymous-session keygen` prints: { accessToken: [...], sessionToken: [...], sessionTokenFormat }';

/** The `keys` option, with the mistakes people make when wiring it from the environment named. */
function keysObject(value: unknown): Partial<KeysOption> {
  if (typeof value === 'string') {
    throw new ConfigurationError('keys', `is a string; parse it first, e.g. keys: JSON.parse(process.env.ANON_KEYS!) (${KEYGEN_SHAPE})`);
  }
  if (Array.isArray(value)) throw new ConfigurationError('keys', `is an array; ${KEYGEN_SHAPE}`);
  if (value !== null && typeof value === 'object' && 'keys' in value) {
    throw new ConfigurationError('keys.keys', `keys are nested one level too deep; ${KEYGEN_SHAPE}`);
  }
  return optionsObject(value as KeysOption | undefined, 'keys', KEY_NAMES);
}

function issuer(value: unknown): string {
  const text = nonEmptyString(value, 'issuer');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigurationError('issuer', 'must be an absolute URL such as https://shop.example');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigurationError('issuer', 'must be an http(s) URL');
  if (url.search || url.hash) throw new ConfigurationError('issuer', 'must not have a query or fragment (RFC 8414)');
  return text;
}

function audience(value: unknown): string[] {
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) throw new ConfigurationError('audience', 'must name at least one audience');
  return items.map((item, i) => nonEmptyString(item, Array.isArray(value) ? `audience[${i}]` : 'audience'));
}

function list<T>(value: T[] | undefined, option: string): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ConfigurationError(option, 'must be an array');
  return value;
}

function resolveClients(clientList: ClientConfig[] | undefined, audience: string[], scopes: string[]): Map<string, ResolvedClient> {
  const clients = new Map<string, ResolvedClient>();
  if (clientList === undefined) {
    clients.set(DEFAULT_CLIENT_ID, { id: DEFAULT_CLIENT_ID, secret: undefined, audiences: audience, scopes: new Set(scopes), defaultScopes: [], allowUserIds: false });
    return clients;
  }
  if (!Array.isArray(clientList) || clientList.length === 0) throw new ConfigurationError('clients', 'must be a non-empty array (omit it for the public default client)');
  clientList.forEach((entry, i) => {
    const option = `clients[${i}]`;
    const c = optionsObject(entry, option, ['id', 'secret', 'audiences', 'scopes', 'defaultScopes', 'allowUserIds']);
    const id = nonEmptyString(c.id, `${option}.id`);
    if (clients.has(id)) throw new ConfigurationError(`${option}.id`, 'duplicates another client id');
    if (c.secret !== undefined && (typeof c.secret !== 'string' || c.secret.length < 32)) {
      throw new ConfigurationError(`${option}.secret`, 'must be at least 32 characters of random text');
    }
    const audiences = list(c.audiences ?? audience, `${option}.audiences`).map((a, j) => nonEmptyString(a, `${option}.audiences[${j}]`));
    const allowed = list(c.scopes ?? scopes, `${option}.scopes`).map((s, j) => scope(s, `${option}.scopes[${j}]`));
    const unknown = allowed.find((s) => !scopes.includes(s));
    if (unknown) throw new ConfigurationError(`${option}.scopes`, `"${unknown}" is not in the scopes option`);
    const defaults = list(c.defaultScopes, `${option}.defaultScopes`).map((s, j) => scope(s, `${option}.defaultScopes[${j}]`));
    if (defaults.some((s) => !allowed.includes(s))) throw new ConfigurationError(`${option}.defaultScopes`, 'must be a subset of its scopes');
    clients.set(id, { id, secret: c.secret, audiences, scopes: new Set(allowed), defaultScopes: defaults, allowUserIds: c.allowUserIds === true });
  });
  return clients;
}

function scope(value: unknown, option: string): string {
  if (typeof value !== 'string' || !SCOPE_TOKEN.test(value)) throw new ConfigurationError(option, 'must be an RFC 6749 scope token (no spaces or quotes)');
  return value;
}
