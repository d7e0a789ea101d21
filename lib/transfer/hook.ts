import type { LeaseKeeper } from './leases';
import type { DroppedValue } from './drops';
import type { OnTransfer, TransferContext } from './types';
import { MisconfiguredError, TransferError } from '../errors';
import { collectDrops } from './drops';

export type HookResult = { ok: true; user: Express.User; dropped: DroppedValue[] } | { ok: false; error: unknown; timedOut: boolean };

/**
 * Runs the app's merge hook, collecting what the merge policies drop, for at most `timeoutSeconds`. Past that the
 * attempt gives up its leases (`keeper.abandon`, which aborts the hook's `signal`) and answers a failure; the hook
 * may still be running, so the caller lets its claim and lease lapse instead of giving them back; when it settles
 * after all, `onLate` hears how.
 */
export async function runHook(
  onTransfer: OnTransfer | undefined,
  context: TransferContext,
  keeper: LeaseKeeper,
  timeoutSeconds: number,
  onLate: (outcome: { error?: unknown }) => void,
): Promise<HookResult> {
  if (!onTransfer) return { ok: true, user: context.user, dropped: [] };
  const running = collectDrops(() => onTransfer(context));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, timeoutSeconds * 1000, 'timeout')));
  try {
    const settled = await Promise.race([running, timeout]);
    if (settled === 'timeout') {
      running.then(() => onLate({}), (error: unknown) => onLate({ error })); // reported, not swallowed
      const error = new TransferError('transfer_failed', `onTransfer did not settle within transfer.hookTimeout (${timeoutSeconds} s)`);
      keeper.abandon(error);
      return { ok: false, error, timedOut: true };
    }
    if (settled.result === undefined || settled.result === null) throw new MisconfiguredError('onTransfer must return the merged user');
    return { ok: true, user: settled.result, dropped: settled.dropped };
  } catch (error) {
    return { ok: false, error, timedOut: false };
  } finally {
    clearTimeout(timer);
  }
}
