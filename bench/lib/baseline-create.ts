import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { newRecord } from '../../lib/session/record';
import type { AnonymousStore } from '../../lib';

/**
 * Case 5's baseline, by hand: one record into the store, then the same two tokens our endpoint issues, signed with
 * jose (the access token on a `KeyObject`, the session token on a `Buffer` secret), nothing else. Shared by the
 * baseline server and bench/token-micro.ts so both measure the same floor.
 */
export async function baselineCreate(store: AnonymousStore, accessKey: KeyObject, secret: Uint8Array, issuer: string, audience: string): Promise<{ access_token: string; session_token: string }> {
  const record = newRecord({ userId: `anon|${randomUUID()}`, metadata: '{}', now: Date.now(), lifetimes: { idle: 604800, absolute: 2592000 } });
  await store.create(record);
  const now = Math.floor(Date.now() / 1000);
  const [access_token, session_token] = await Promise.all([
    new SignJWT({ client_id: 'default', scope: '', sid: record.sessionId, anonymous: true })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k' }).setIssuer(issuer).setSubject(record.userId)
      .setAudience(audience).setIssuedAt(now).setExpirationTime(now + 900).setJti(randomUUID()).sign(accessKey),
    new SignJWT({ user_id: record.userId, session_id: record.sessionId, created_at: now, metadata: {}, client_id: 'default' })
      .setProtectedHeader({ alg: 'HS256', typ: 'anon-session+jwt', kid: 's' }).setIssuer(issuer).setAudience(`${issuer}/anonymous/token`)
      .setIssuedAt(now).setExpirationTime(now + 2592000).setJti(randomUUID()).sign(secret),
  ]);
  return { access_token, session_token };
}
