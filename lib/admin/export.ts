import type { GuestSession, SessionState } from '../session/record';
import type { Metadata } from '../session/metadata';
import type { TransferLink } from '../store/types';

/** Everything the store holds about one guest: its sessions (any state) and where it was transferred. */
export interface GuestRecord {
  anonymousUserId: string;
  /** Oldest first, metadata parsed; includes ended sessions and expired ones the reaper has not handled yet. */
  sessions: GuestSession[];
  /** Kept `transfer.linkRetention` after a transfer. */
  transferLink: TransferLink | undefined;
}

/** One session as exported: plain JSON, metadata parsed. Times are epoch milliseconds. */
export interface ExportedSession {
  sessionId: string;
  state: SessionState;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  absoluteExpiresAt: number;
  metadata: Metadata;
  transferredTo?: string;
  transferredAt?: number;
  revokedAt?: number;
}

/** The answer to a right-of-access request (GDPR art. 15, CCPA): JSON-serializable as is. */
export interface GuestExport {
  anonymousUserId: string;
  /** Epoch ms. */
  exportedAt: number;
  sessions: ExportedSession[];
  transferLink: TransferLink | null;
}

export function toExport(guest: GuestRecord, now: number): GuestExport {
  return {
    anonymousUserId: guest.anonymousUserId,
    exportedAt: now,
    sessions: guest.sessions.map(exportSession),
    transferLink: guest.transferLink ?? null,
  };
}

function exportSession(r: GuestSession): ExportedSession {
  const out: ExportedSession = {
    sessionId: r.sessionId,
    state: r.state,
    createdAt: r.createdAt,
    lastSeenAt: r.lastSeenAt,
    expiresAt: r.expiresAt,
    absoluteExpiresAt: r.absoluteExpiresAt,
    metadata: r.metadata as Metadata,
  };
  if (r.state === 'transferred') Object.assign(out, { transferredTo: r.transferredTo, transferredAt: r.transferredAt });
  if (r.state === 'revoked') out.revokedAt = r.revokedAt;
  return out;
}
