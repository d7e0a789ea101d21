import type { AnonymousSessionRecord } from '../session/record';
import type { JsonValue, Metadata } from '../session/metadata';
import { FORBIDDEN_KEYS } from '../session/metadata';
import { ConfigurationError } from '../errors';

/** Copies a session attribute into access tokens: `{ name: 'cart_id', expression: 'anonymous_session.metadata.cart_id' }`. */
export interface ClaimMapping {
  name: string;
  expression: string;
}

export interface CompiledClaim {
  name: string;
  read: (record: AnonymousSessionRecord, metadata: Metadata) => JsonValue | undefined;
}

/** Claims the library sets itself or that carry protocol meaning: never mapped over. */
const RESERVED = new Set([
  'iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'client_id', 'scope', 'sid', 'anonymous', 'typ', 'cnf',
  'auth_time', 'acr', 'amr', 'azp', 'act', 'may_act', 'user_id', 'session_id', 'created_at', 'metadata',
]);
const MAX_CLAIMS = 20;
const SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** Validates the `claims` option once, at start-up. */
export function compileClaims(list: unknown): CompiledClaim[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new ConfigurationError('claims', 'must be an array of { name, expression }');
  if (list.length > MAX_CLAIMS) throw new ConfigurationError('claims', `at most ${MAX_CLAIMS} mapped claims`);
  const names = new Set<string>();
  return list.map((item: Partial<ClaimMapping>, i) => {
    const option = `claims[${i}]`;
    if (typeof item?.name !== 'string' || !SEGMENT.test(item.name)) {
      throw new ConfigurationError(`${option}.name`, 'must be a claim name of letters, digits, _ or -');
    }
    if (RESERVED.has(item.name)) throw new ConfigurationError(`${option}.name`, `"${item.name}" is a reserved claim name`);
    if (names.has(item.name)) throw new ConfigurationError(`${option}.name`, `duplicates the claim "${item.name}"`);
    names.add(item.name);
    return { name: item.name, read: compileExpression(item.expression, `${option}.expression`) };
  });
}

function compileExpression(expression: unknown, option: string): CompiledClaim['read'] {
  if (typeof expression !== 'string') throw new ConfigurationError(option, 'must be a string like "anonymous_session.metadata.cart_id"');
  const [root, field, ...path] = expression.split('.');
  if (root !== 'anonymous_session') throw new ConfigurationError(option, 'must start with "anonymous_session."');
  switch (field) {
    case 'user_id':
    case 'session_id':
    case 'created_at':
      if (path.length) throw new ConfigurationError(option, `anonymous_session.${field} has no members`);
      return (record) =>
        field === 'user_id' ? record.userId : field === 'session_id' ? record.sessionId : Math.floor(record.createdAt / 1000);
    case 'metadata':
      if (path.length === 0 || path.length > 5 || path.some((s) => !SEGMENT.test(s) || FORBIDDEN_KEYS.has(s))) {
        throw new ConfigurationError(option, 'metadata paths are 1 to 5 plain property names');
      }
      return (_record, metadata) => readPath(metadata, path);
    default:
      throw new ConfigurationError(option, 'can read anonymous_session.user_id, .session_id, .created_at or .metadata.<path>');
  }
}

function readPath(value: JsonValue, path: string[]): JsonValue | undefined {
  let current: JsonValue | undefined = value;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}

/** The mapped claims of one session; a missing value omits its claim. */
export function mapClaims(compiled: CompiledClaim[], record: AnonymousSessionRecord, metadata: Metadata): Record<string, JsonValue> {
  const claims: Record<string, JsonValue> = {};
  for (const claim of compiled) {
    const value = claim.read(record, metadata);
    if (value !== undefined) claims[claim.name] = value;
  }
  return claims;
}
