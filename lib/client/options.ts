import { memoryStorage, webStorage, type ClientStorage, type StorageName } from './storage';

/**
 * The `fetch` the client calls: the global one by default.
 *
 * @example
 * ```ts
 * const traced: FetchFunction = (input, init) => fetch(input, { ...init, headers: { ...init?.headers, 'x-trace': id } });
 * ```
 */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Where the server is: its issuer (endpoints under it), or the token endpoint itself.
 *
 * @example
 * ```ts
 * const crossOrigin: ClientEndpoints = { issuer: 'https://shop.example' };
 * const sameOrigin: ClientEndpoints = { tokenEndpoint: '/anonymous/token' };
 * ```
 */
export type ClientEndpoints =
  | {
      /** The server's `issuer`: the token endpoint is `<issuer>/anonymous/token`, logout `<issuer>/anonymous/logout`. */
      issuer: string;
      tokenEndpoint?: never;
    }
  | {
      /** The token endpoint's URL, ending in `/token` (logout is its sibling `/logout`); relative is fine in a page. */
      tokenEndpoint: string;
      issuer?: never;
    };

/**
 * Options of {@link createAnonymousClient}; checked once, at construction (a `TypeError` names the option).
 *
 * @example
 * ```ts
 * const options: AnonymousClientOptions = { issuer: 'https://shop.example', clientId: 'shop-spa', storage: 'localStorage' };
 * ```
 */
export type AnonymousClientOptions = ClientEndpoints & {
  /** The OAuth client id the server knows (`default` is the server's built-in public client). */
  clientId: string;
  /** Audience of the access tokens; default: the server's audience for this client. */
  audience?: string;
  /** Space-separated scopes; default: the client's default scopes. */
  scope?: string;
  /**
   * `token` (default): the client holds a session token (SPAs on another origin, React Native, Node).
   * `cookie`: same-origin pages; the guest is the one in the express-session cookie, no session token in script.
   */
  mode?: 'token' | 'cookie';
  /** Default `memory`. See the README on what is stored and the XSS trade-off of `localStorage`. */
  storage?: StorageName | ClientStorage;
  /** The storage key of the client's record. Default `anonymous_session`. */
  storageKey?: string;
  /** Default: the global `fetch`. */
  fetch?: FetchFunction;
};

/** The options with their defaults applied. */
export interface ResolvedClientOptions {
  tokenEndpoint: string;
  logoutEndpoint: string;
  params: Record<string, string>;
  cookie: boolean;
  storage: ClientStorage;
  storageKey: string;
  fetch: FetchFunction;
}

/** A non-empty string without white space: a URL, an id, a key. */
const isText = (value: unknown): value is string => typeof value === 'string' && /^\S+$/.test(value);

/** Validates the options once and applies the defaults; a `TypeError` names the first option that is wrong. */
export function resolveOptions(options: AnonymousClientOptions): ResolvedClientOptions {
  const { issuer, clientId, audience, scope, mode = 'token', storage = 'memory', storageKey = 'anonymous_session' } = options;
  const tokenEndpoint = options.tokenEndpoint ?? issuer?.replace(/\/*$/, '/anonymous/token');
  const logoutEndpoint = tokenEndpoint?.replace(/\/token$/, '/logout');
  const store = storage === 'memory' ? memoryStorage() : typeof storage === 'string' ? webStorage(storage) : storage;
  const fetch = options.fetch ?? (globalThis.fetch as FetchFunction | undefined);
  const checks: Array<[unknown, string, string]> = [
    [issuer === undefined || (/^https?:\/\/[^\s/?#][^\s?#]*$/.test(issuer) && !options.tokenEndpoint), 'options.issuer', 'an http(s) URL, without tokenEndpoint'],
    [isText(tokenEndpoint) && logoutEndpoint !== tokenEndpoint, 'options.tokenEndpoint', 'a URL ending in /token (or issuer a URL)'],
    [isText(clientId), 'options.clientId', 'a string'],
    [audience === undefined || isText(audience), 'options.audience', 'a string'],
    [scope === undefined || typeof scope === 'string', 'options.scope', 'a string'],
    [mode === 'token' || mode === 'cookie', 'options.mode', "'token' or 'cookie'"],
    [(['getItem', 'setItem', 'removeItem'] as const).every((m) => typeof store?.[m] === 'function'), 'options.storage', 'a storage available here'],
    [isText(storageKey), 'options.storageKey', 'a string'],
    [typeof fetch === 'function', 'options.fetch', 'a function (no global fetch here)'],
    [typeof (globalThis as { crypto?: { getRandomValues?: unknown } }).crypto?.getRandomValues === 'function', 'crypto.getRandomValues', 'there (import react-native-get-random-values)'],
  ];
  for (const [ok, name, expected] of checks) if (!ok) throw new TypeError(`createAnonymousClient: ${name} must be ${expected}`);
  const params: Record<string, string> = { client_id: clientId };
  if (audience) params.audience = audience;
  if (scope) params.scope = scope;
  return {
    tokenEndpoint: tokenEndpoint!,
    logoutEndpoint: logoutEndpoint!,
    params,
    cookie: mode === 'cookie',
    storage: store!,
    storageKey,
    // Called as a plain function: a browser's fetch refuses to run as a method of another object.
    fetch: (input, init) => fetch!(input, init),
  };
}
