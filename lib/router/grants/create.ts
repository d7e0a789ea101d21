import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { RouterContext } from '../context';
import type { ActiveRecord } from '../../session/record';
import { OAuthError } from '../../errors';
import { CREATION_KEY } from '../../config/validate';
import { metadataObject } from './browser';
import { required } from '../state';

const USER_ID = /^[\x21-\x7E]{1,128}$/;

/**
 * Create: a new guest, through the one creation path (idempotency replay, then the creation limit, then the write).
 * Everything that can be refused is checked before it, so a refused request writes and counts nothing.
 */
export async function createGuest(ctx: RouterContext, req: Request): Promise<ActiveRecord> {
  const p = required(req, 'params');
  const client = required(req, 'client');
  if (p.user_id !== undefined) {
    if (!client.allowUserIds) throw new OAuthError('unauthorized_client', 'This client may not supply user ids');
    if (!USER_ID.test(p.user_id)) throw new OAuthError('invalid_request', 'user_id must be 1 to 128 printable ASCII characters');
  }
  const draft = ctx.sessions.draft({ metadata: p.metadata === undefined ? {} : metadataObject(p.metadata), userId: p.user_id });
  const key = creationKey(req);
  if (key === undefined) return ctx.sessions.persist(draft, { req, via: 'token_endpoint' });
  // A key is scoped to its client, and only its hash is stored.
  const idempotencyKey = createHash('sha256').update(`${client.id}\n${key}`).digest('base64url');
  // A retry repeats its request; the same key with another body is a mistake or an attacker, never a replay.
  const idempotencyFingerprint = createHash('sha256').update(JSON.stringify([p.metadata ?? null, p.user_id ?? null, p.scope ?? null, p.audience ?? null])).digest('base64url');
  const record = await ctx.sessions.persist(draft, { req, idempotencyKey, idempotencyFingerprint, via: 'token_endpoint' });
  // A replay answers a lost response. Once the guest's session token was renewed, the response evidently arrived, and
  // a replay would hand out a current session token beside the rotating one: a second credential reuse detection
  // never sees.
  if ((record.tokenGeneration ?? 0) > 0) {
    throw new OAuthError('invalid_request', 'The guest this Idempotency-Key created has been renewed since: use its session token, or a new key for a new guest');
  }
  return record;
}

function creationKey(req: Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  if (!CREATION_KEY.test(key) || guessable(key)) {
    throw new OAuthError('invalid_request', 'Idempotency-Key must be 22 to 255 random letters, digits, _ . : or - (a random UUID fits): it is a secret');
  }
  return key;
}

/**
 * Keys a person or a bug would pick, whatever their length: few distinct characters (`0000…`, the nil UUID,
 * `abab…`) or one short run repeated (`1234567890123…`). A random UUID or 22 random characters never look like that.
 */
function guessable(key: string): boolean {
  if (new Set(key.replace(/-/g, '')).size < 8) return true;
  for (let period = 1; period <= 12; period++) {
    let repeats = true;
    for (let i = period; i < key.length && repeats; i++) repeats = key[i] === key[i - period];
    if (repeats) return true;
  }
  return false;
}
