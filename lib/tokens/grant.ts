import type { ResolvedClient } from './options';
import { OAuthError } from '../errors';
import { SCOPE_TOKEN } from '../config/validate';

export interface Grant {
  scope: string;
  audience: string;
}

/**
 * What a client may have: the requested scopes (space-delimited, each allowed for the client) or its default
 * ones, and the requested audience (allowed for it) or its first. Shared by the token endpoint and
 * `req.anonymous.issueTokens()`.
 */
export function grantFor(client: ResolvedClient, scope: string | undefined, audience: string | undefined): Grant {
  const requested = scope === undefined ? undefined : [...new Set(scope.split(' '))];
  if (requested?.some((s) => !SCOPE_TOKEN.test(s))) throw new OAuthError('invalid_scope', 'The scope is malformed');
  const unknown = requested?.find((s) => !client.scopes.has(s));
  if (unknown !== undefined) throw new OAuthError('invalid_scope', 'A requested scope is not allowed for this client');
  const target = audience ?? client.audiences[0];
  if (!client.audiences.includes(target)) throw new OAuthError('invalid_target', 'The audience is not allowed for this client');
  return { scope: (requested ?? client.defaultScopes).join(' '), audience: target };
}
