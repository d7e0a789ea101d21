import type { OnTransfer, TransferOptions } from './types';
import { ConfigurationError } from '../errors';
import { optionalFunction, optionsObject, positiveInteger } from '../config/validate';

export interface ResolvedTransferOptions {
  onTransfer: OnTransfer | undefined;
  lease: number;
  accountWait: number;
  hookTimeout: number;
  linkRetention: number;
  ticketLifetime: number;
  getUserId: (user: Express.User) => string;
}

const DAY = 24 * 60 * 60;

export function resolveTransferOptions(onTransfer: OnTransfer | undefined, options: TransferOptions | undefined): ResolvedTransferOptions {
  const t = optionsObject(options, 'transfer', ['lease', 'accountWait', 'hookTimeout', 'linkRetention', 'ticketLifetime', 'getUserId']);
  const ticketLifetime = positiveInteger(t.ticketLifetime ?? 30, 'transfer.ticketLifetime');
  if (ticketLifetime > 30) throw new ConfigurationError('transfer.ticketLifetime', 'must be at most 30 seconds');
  return {
    onTransfer: optionalFunction(onTransfer, 'onTransfer'),
    lease: positiveInteger(t.lease ?? 30, 'transfer.lease'),
    accountWait: positiveInteger(t.accountWait ?? 5, 'transfer.accountWait'),
    hookTimeout: positiveInteger(t.hookTimeout ?? 60, 'transfer.hookTimeout'),
    linkRetention: positiveInteger(t.linkRetention ?? 90 * DAY, 'transfer.linkRetention'),
    ticketLifetime,
    getUserId: optionalFunction(t.getUserId, 'transfer.getUserId') ?? ((user) => (user as { id?: string }).id as string),
  };
}
