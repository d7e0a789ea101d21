import { errors as joseErrors } from 'jose';

/** Why a token was refused. Callers turn it into their own wire error (RFC 6750 for bearer, RFC 6749 for the token endpoint). */
export type TokenFailure = 'malformed' | 'invalid' | 'expired';

export class TokenError extends Error {
  constructor(
    readonly reason: TokenFailure,
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

/** Maps jose's verification errors without echoing token content; anything else is a bug and is rethrown. */
export function fromJoseError(err: unknown): TokenError {
  if (err instanceof TokenError) return err;
  if (err instanceof joseErrors.JWTExpired) return new TokenError('expired', 'The token expired');
  if (err instanceof joseErrors.JOSEError) return new TokenError('invalid', 'The token is invalid');
  throw err;
}
