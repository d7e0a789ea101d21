import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { TransferService } from './transfer-service';
import type { TransferReason } from './types';
import { MisconfiguredError, TransferError } from '../errors';

export interface TransferMiddlewareOptions {
  /**
   * `merge` the guest now (default), or `ask`: keep it with the login session (outcome `deferred`) so a later page
   * can preview it and the user's answer calls `anon.transferTo(req, user, reason)` or `anon.declineTransfer(req)`.
   */
  mode?: 'merge' | 'ask';
  /**
   * When the guest already went to another user, or another login is transferring it: `continue` the login
   * without merging (default), or `fail` it with 409 `transfer_conflict`.
   */
  onConflict?: 'continue' | 'fail';
  /**
   * When `onTransfer` throws, or the account stayed `busy` with another transfer: `continue` the login (default;
   * the guest stays intact for the next login) or `fail` it with 500 `transfer_failed`.
   */
  onError?: 'continue' | 'fail';
}

/**
 * Runs after the app's own authentication (`req.user` set) and transfers the request's guest into that user.
 * The typed outcome is left in `req.anonymousTransfer` for the handler.
 */
export function transferMiddleware(service: TransferService, reason: TransferReason, options: TransferMiddlewareOptions = {}): RequestHandler {
  if (reason !== 'login' && reason !== 'signup') throw new TypeError('anon.transfer(reason): reason must be "login" or "signup"');
  const mode = options.mode ?? 'merge';
  if (mode !== 'merge' && mode !== 'ask') throw new TypeError('anon.transfer(reason, { mode }): mode must be "merge" or "ask"');
  return async function transferAnonymousSession(req: Request, _res: Response, next: NextFunction): Promise<void> {
    if (!req.user) {
      return next(new MisconfiguredError('anon.transfer() must come after the login strategy: req.user is not set'));
    }
    let outcome;
    try {
      outcome = mode === 'ask' ? await service.defer(req, req.user, reason) : await service.transfer(req, req.user, reason);
    } catch (err) {
      return next(err); // Express 4 does not catch a rejected handler
    }
    req.anonymousTransfer = outcome;
    if (outcome.status === 'failed' && options.onError === 'fail') {
      return next(new TransferError('transfer_failed', 'The guest data could not be merged; try again', outcome.error));
    }
    if (outcome.status === 'busy' && options.onError === 'fail') {
      return next(new TransferError('transfer_failed', 'Another sign-in is merging into this account; try again'));
    }
    const conflict = outcome.status === 'conflict' || (outcome.status === 'already_transferred' && !outcome.sameUser);
    if (conflict && options.onConflict === 'fail') {
      return next(new TransferError('transfer_conflict', 'This guest session already belongs to another account'));
    }
    next();
  };
}
