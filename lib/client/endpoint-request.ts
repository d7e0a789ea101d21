import { AnonymousClientError } from './errors';
import { TIMEOUT, retryAfter, retryDelay, sleep } from './retry';
import type { ResolvedClientOptions } from './options';

/** A JSON object from the server (the body of a 2xx; `{}` for a 204). */
export type EndpointBody = Record<string, unknown>;

/** `application/x-www-form-urlencoded`, built by hand: React Native's URLSearchParams is incomplete. */
function form(params: Record<string, string>): string {
  return Object.keys(params)
    .map((name) => `${encodeURIComponent(name)}=${encodeURIComponent(params[name])}`)
    .join('&');
}


/** The error of a request that will not be retried: the server's OAuth error, or why there was none. */
function failure(url: string, response: Response | undefined, body: EndpointBody | undefined, cause: unknown): AnonymousClientError {
  if (!response) return new AnonymousClientError('network_error', url, undefined, undefined, cause);
  const { error, error_description, anonymous_session_state } = body ?? {};
  const after = retryAfter(response);
  return new AnonymousClientError(
    typeof error === 'string' ? error : 'invalid_response',
    typeof error_description === 'string' ? error_description : url,
    response.status,
    after && after / 1000,
    undefined,
    typeof anonymous_session_state === 'string' ? anonymous_session_state : undefined,
  );
}

/**
 * POSTs a form to the token or logout endpoint: cookie mode sends the same-origin cookie, token mode no cookie at
 * all. A request that times out or is lost is retried (with the same `Idempotency-Key`, so a creation is never
 * done twice), as are 429 and 503 within the retry bounds. Any other failure is an {@link AnonymousClientError}.
 */
export function endpointRequest(options: ResolvedClientOptions) {
  return async function post(url: string, params: Record<string, string>, key?: string): Promise<EndpointBody> {
    let error: unknown;
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (key) headers['idempotency-key'] = key;
    const init: RequestInit = { method: 'POST', headers, body: form(params), credentials: options.cookie ? 'same-origin' : 'omit' };
    for (let attempt = 1; ; attempt++) {
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), TIMEOUT);
      let response: Response | undefined;
      let body: EndpointBody | undefined;
      try {
        response = await options.fetch(url, { ...init, signal: timeout.signal });
        body = response.status === 204 ? {} : ((await response.json()) as EndpointBody);
      } catch (cause) {
        if (!response) error = cause; // no answer (lost, timed out); else a body that is not JSON
      } finally {
        clearTimeout(timer);
      }
      if (response?.ok && body && typeof body === 'object') return body;
      const wait = retryDelay(attempt, response);
      if (wait === undefined) throw failure(url, response, body, error);
      await sleep(wait);
    }
  };
}
