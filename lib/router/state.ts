import type { Request } from 'express';
import type { ActiveRecord } from '../session/record';
import type { ResolvedClient } from '../tokens/options';
import type { Grant } from '../tokens/grant';

/** Parameters of the token endpoint, each present at most once and a string (metadata: an object). */
export interface TokenParams {
  grant_type?: string;
  client_id?: string;
  client_secret?: string;
  audience?: string;
  scope?: string;
  user_id?: string;
  session_token?: string;
  /** The session token, as `grant_type=refresh_token` clients send it. */
  refresh_token?: string;
  /** RFC 7009 / RFC 7662: the token to revoke or introspect, and what the client thinks it is. */
  token?: string;
  token_type_hint?: string;
  /** `transfer_ticket` asks for a single-use login ticket instead of tokens. */
  requested_token_type?: string;
  metadata?: unknown;
}

export const TOKEN_PARAMS = ['grant_type', 'client_id', 'client_secret', 'audience', 'scope', 'user_id', 'session_token', 'refresh_token', 'requested_token_type'] as const;

/** The modes of the token endpoint, as the grant that selects each. */
export type GrantMode = 'create_or_browser' | 'renew';

/** What the steps of an endpoint learn about one request, in the order they learn it. */
export interface EndpointState {
  params?: TokenParams;
  mode?: GrantMode;
  /** The session token presented to renew (`session_token`, or `refresh_token` under that grant). */
  sessionToken?: string;
  client?: ResolvedClient;
  grant?: Grant;
  /** How the record was found: renewed, the browser's own guest, or created now (what the tokens are counted under). */
  flow?: 'create' | 'browser' | 'renew';
  record?: ActiveRecord;
}

const states = new WeakMap<Request, EndpointState>();

/** The request's endpoint state (created on first use). */
export function stateOf(req: Request): EndpointState {
  let state = states.get(req);
  if (!state) states.set(req, (state = {}));
  return state;
}

/** A value an earlier step must have set: its absence is a bug in the pipeline, never a client error. */
export function required<K extends keyof EndpointState>(req: Request, key: K): NonNullable<EndpointState[K]> {
  const value = stateOf(req)[key];
  if (value === undefined || value === null) throw new Error(`token endpoint: step order broken, ${key} missing`);
  return value as NonNullable<EndpointState[K]>;
}
