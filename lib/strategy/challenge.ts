/**
 * RFC 6750 section 3 challenges. Every value is a quoted-string built from our own constants and validated
 * configuration (never token content), escaped anyway, so the header is always well-formed.
 */
export interface ChallengeParams {
  realm: string;
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  error_description?: string;
  scope?: string;
}

export function bearerChallenge(params: ChallengeParams): string {
  const parts = [`realm=${quote(params.realm)}`];
  if (params.error) parts.push(`error=${quote(params.error)}`);
  if (params.error_description) parts.push(`error_description=${quote(params.error_description)}`);
  if (params.scope) parts.push(`scope=${quote(params.scope)}`);
  return `Bearer ${parts.join(', ')}`;
}

function quote(value: string): string {
  // RFC 6750 limits these values to %x20-21 / %x23-5B / %x5D-7E; anything else is dropped.
  return `"${value.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '')}"`;
}
