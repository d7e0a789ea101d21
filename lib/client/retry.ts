/** Attempts in all, for a token request and for `fetch()`. */
export const ATTEMPTS = 3;
/** The longest single wait (ms): a longer `Retry-After` is not waited for. */
export const MAX_DELAY = 10_000;
/** A token-endpoint request unanswered this long (ms) counts as lost, and is retried. */
export const TIMEOUT = 10_000;

/**
 * How long to wait before attempt `attempt + 1`, or undefined not to retry. A response is retried only if it is a
 * 429 or 503; its `Retry-After` is honoured, and a wait longer than `MAX_DELAY` is not waited at all (retrying
 * sooner than the server asked would only be refused again). With no response (the request was lost) or no
 * `Retry-After`: exponential backoff with jitter, capped at `MAX_DELAY`.
 */
export function retryDelay(attempt: number, response?: Response): number | undefined {
  if (attempt >= ATTEMPTS) return undefined;
  if (response && response.status !== 429 && response.status !== 503) return undefined;
  const asked = response && retryAfter(response);
  if (asked !== undefined) return asked <= MAX_DELAY ? asked : undefined;
  return Math.min(MAX_DELAY, 250 * 2 ** attempt * (0.5 + Math.random() / 2));
}

/** `Retry-After` in milliseconds: delay-seconds or an HTTP date (RFC 9110 section 10.2.3); undefined if absent or unreadable. */
export function retryAfter(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  if (!value) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return ms > 0 ? ms : ms <= 0 ? 0 : undefined;
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const abort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(resolve, ms);
    if (signal?.aborted) abort();
    else signal?.addEventListener('abort', abort);
  });
}
