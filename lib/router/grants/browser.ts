import type { Request } from 'express';
import type { ActiveRecord } from '../../session/record';
import type { Metadata } from '../../session/metadata';
import { OAuthError } from '../../errors';
import { recordOf } from '../../session/anonymous-session';
import { refuseCrossSite } from '../../http/same-site';
import { required } from '../state';
import { endedSessionError } from './renew';

/** A browser whose cookie already holds a guest gets tokens for that guest, never a second one. */
export async function browserGuest(req: Request): Promise<ActiveRecord> {
  refuseCrossSite(req);
  const p = required(req, 'params');
  if (p.user_id !== undefined) throw new OAuthError('invalid_request', 'This browser already has an anonymous user');
  const guest = req.anonymous!;
  if (p.metadata !== undefined) await guest.update(metadataObject(p.metadata));
  const record = recordOf(guest);
  if (record.state !== 'active') throw endedSessionError(record.state, 'The anonymous session is no longer active');
  return record;
}

export function metadataObject(value: unknown): Metadata {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OAuthError('invalid_request', 'The parameter metadata must be a JSON object');
  }
  return value as Metadata;
}
