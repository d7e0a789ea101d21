import type { AnonymousSessions } from '../../lib';
import type { ActiveRecord } from '../../lib/session/record';
import type { TokenResponse } from '../../lib/tokens/token-service';
import { internalsOf, type Internals } from '../../lib/internals';

/** The one way tests reach an instance's services (the published types do not show them). */
export function internals(anon: AnonymousSessions): Internals {
  return internalsOf(anon);
}

/** Tokens for `record` as the default client gets them, minted directly (no endpoint). */
export function issueDirect(anon: AnonymousSessions, record: ActiveRecord, scope = '', audience?: string): Promise<TokenResponse> {
  const { tokens } = internals(anon);
  const client = tokens.options.clients.get('default')!;
  return tokens.issue(record, { client, scope, audience: audience ?? tokens.options.audience[0] });
}
