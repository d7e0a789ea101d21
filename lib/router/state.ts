import type { Request } from 'express';
import type { ActiveRecord } from '../session/record';
import type { ResolvedClient } from '../tokens/options';
import type { Grant } from '../tokens/grant';

/** Parameters of the token endpoint, each present at most once and a string (metadata: an object). */
export interface TokenParams {
  client_id?: string;
  client_secret?: string;
  audience?: string;
  scope?: string;
  user_id?: string;
  session_token?: string;
  /** `transfer_ticket` asks for a single-use login ticket instead of tokens. */
  requested_token_type?: string;
  metadata?: unknown;
}

export const TOKEN_PARAMS = ['client_id', 'client_secret', 'audience', 'scope', 'user_id', 'session_token', 'requested_token_type'] as const;

/** What the steps of an endpoint learn about one request, in the order they learn it. */
export interface EndpointState {
  params?: TokenParams;
  client?: ResolvedClient;
  grant?: Grant;
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
