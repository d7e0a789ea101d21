import type { EventEmitter } from 'node:events';
import type { Logger } from '../config/logger';
import type { GuestSource, TransferEvent, TransferEventName, TransferOutcome, TransferReason } from './types';
import { logError } from '../config/logger';

/** What is known of an attempt when its outcome is reported. */
export interface AttemptInfo {
  reason: TransferReason;
  userId: string;
  sessionId?: string;
  anonymousUserId?: string;
  source?: GuestSource;
  fence?: number;
}

const EVENT_OF: Record<TransferOutcome['status'], TransferEventName | undefined> = {
  merged: 'transfer',
  already_transferred: 'transfer:conflict',
  conflict: 'transfer:conflict',
  failed: 'transfer:failed',
  busy: 'transfer:busy',
  deferred: undefined,
  no_session: undefined,
};

/**
 * Nothing silent: every outcome is an event (its own, and `transfer:outcome`), and what went wrong is logged once
 * through the configured logger: a hook that threw or timed out, a claim that could not be given back, a login that
 * could not have the account's lease, values the merge policies left out.
 */
export function report(events: EventEmitter, logger: Logger, info: AttemptInfo, outcome: TransferOutcome, cleanupError?: unknown): void {
  const event: TransferEvent = {
    reason: info.reason,
    sessionId: info.sessionId ?? '',
    anonymousUserId: info.anonymousUserId ?? '',
    userId: info.userId,
    outcome: outcome.status,
  };
  if ('transferId' in outcome) event.transferId = outcome.transferId;
  if (info.fence !== undefined) event.fence = info.fence;
  if (info.source !== undefined) event.source = info.source;
  if (outcome.status === 'failed') event.error = outcome.error;
  if (cleanupError !== undefined) event.cleanupError = cleanupError;
  if (outcome.status === 'merged') event.dropped = outcome.dropped;
  log(logger, event, outcome);
  const name = EVENT_OF[outcome.status];
  if (name) events.emit(name, event);
  events.emit('transfer:outcome', event);
}

function log(logger: Logger, event: TransferEvent, outcome: TransferOutcome): void {
  const id = `transfer ${event.transferId ?? ''}`.trim();
  if (outcome.status === 'failed') {
    logError(logger, `${id}: onTransfer failed; the guest is intact and transfers at the next login`, outcome.error);
  }
  if (event.cleanupError !== undefined) {
    logError(logger, `${id}: giving the guest's claim back failed; it lapses after transfer.lease`, event.cleanupError);
  }
  if (outcome.status === 'busy') {
    logger.warn(`express-anonymous-session: ${id}: another transfer into the same account held it for all of transfer.accountWait; the guest is intact and transfers at the next login`);
  }
  if (outcome.status === 'merged' && outcome.dropped.length > 0) {
    const what = outcome.dropped.map((d) => `${d.key} (${d.from}): ${d.reason}`).join('; ');
    logger.warn(`express-anonymous-session: ${id}: the merge left ${outcome.dropped.length} value(s) out: ${what}`);
  }
}
