import type { MeterLike } from './types';

/** How a guest came to be: a browser's cookie, `POST /anonymous/token`, or `anon.createSession()`. */
export type CreatedVia = 'cookie' | 'token_endpoint' | 'api';

/** Which flow minted tokens: a new guest, the browser's own guest, a renewal, a transfer ticket, `req.anonymous.issueTokens()`. */
export type TokenFlow = 'create' | 'browser' | 'renew' | 'transfer_ticket' | 'server';

/** Why a bearer request was refused (RFC 6750): no token, a malformed request, a bad or expired token, an ended session, a missing scope, the app's verify said no, a cross-site cookie request. */
export type AccessTokenRefusal = 'missing' | 'invalid_request' | 'invalid' | 'expired' | 'revoked' | 'insufficient_scope' | 'not_accepted' | 'cross_site';

/**
 * What the library counts and times, called from the few places where it happens. One implementation records through
 * an OpenTelemetry meter; `noMetrics` does nothing (metrics off, or `@opentelemetry/api` not installed).
 */
export interface Instrumentation {
  /** False for `noMetrics`: callers may skip work (wrapping the store) that only feeds metrics. */
  readonly enabled: boolean;
  /** A new guest handed out: provisional for a cookie visitor until it is stored. */
  guestCreated(via: CreatedVia): void;
  /** A new guest written to the store for the first time (the lifecycle event `created`). */
  guestStored(via: CreatedVia): void;
  guestRevoked(): void;
  /** Records the reaper deleted after their `expired` listeners resolved, per completed batch. */
  guestsReaped(count: number): void;
  /** A record the reaper found expired, counted on its first delivery (retries are not counted again). */
  guestExpired(): void;
  /** A transfer's outcome (`merged`, `conflict`, …, or `error` when it threw). */
  transfer(outcome: string, reason: string): void;
  tokensIssued(flow: TokenFlow): void;
  /** The token endpoint refused a request; `error` is the OAuth error code on the wire. */
  tokenRefused(error: string): void;
  accessTokenRefused(reason: AccessTokenRefusal): void;
  /** A creation past the limit: refused outright (`rate_limited`), or put to the challenge hook. */
  creationLimited(outcome: 'rate_limited' | 'challenge_passed' | 'challenge_refused'): void;
  /** One store call: its method, the store's kind, seconds taken, and the error type when it failed. */
  storeOperation(operation: string, store: string, seconds: number, error?: string): void;
  /** Whether store calls are timed: false once the meter turned out to be a no-op (no SDK registered). */
  timesStore(): boolean;
}

const nothing = () => undefined;

export const noMetrics: Instrumentation = {
  enabled: false,
  guestCreated: nothing,
  guestStored: nothing,
  guestRevoked: nothing,
  guestsReaped: nothing,
  guestExpired: nothing,
  transfer: nothing,
  tokensIssued: nothing,
  tokenRefused: nothing,
  accessTokenRefused: nothing,
  creationLimited: nothing,
  storeOperation: nothing,
  timesStore: () => false,
};

/** Metric names: the stable prefix, then what is counted. */
export const METRIC = {
  guestsCreated: 'anonymous_session.guests.created',
  guestsStored: 'anonymous_session.guests.stored',
  guestsRevoked: 'anonymous_session.guests.revoked',
  guestsReaped: 'anonymous_session.guests.reaped',
  guestsExpired: 'anonymous_session.guests.expired',
  transfers: 'anonymous_session.transfers',
  tokensIssued: 'anonymous_session.tokens.issued',
  tokensRefused: 'anonymous_session.tokens.refused',
  accessTokensRefused: 'anonymous_session.access_tokens.refused',
  rateLimited: 'anonymous_session.creations.rate_limited',
  challenged: 'anonymous_session.creations.challenged',
  storeDuration: 'anonymous_session.store.operation.duration',
  storeErrors: 'anonymous_session.store.errors',
} as const;

/** Attribute keys: OpenTelemetry's semantic conventions where one fits (`error.type`, `db.operation.name`), else the prefix. */
export const ATTRIBUTE = {
  createdVia: 'anonymous_session.created_via',
  outcome: 'anonymous_session.transfer.outcome',
  reason: 'anonymous_session.transfer.reason',
  flow: 'anonymous_session.token.flow',
  challenge: 'anonymous_session.challenge.result',
  store: 'anonymous_session.store',
  operation: 'db.operation.name',
  error: 'error.type',
} as const;

/** Store calls take a millisecond, or a second at the timeout: buckets from 0.5 ms to 2.5 s. */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

function instruments(meter: MeterLike) {
  const counter = (name: string, unit: string, description: string) => meter.createCounter(name, { unit, description });
  return {
    created: counter(METRIC.guestsCreated, '{guest}', 'New guests handed out, provisional ones included, by how they came'),
    stored: counter(METRIC.guestsStored, '{guest}', 'New guests written to the store, by how they came'),
    revoked: counter(METRIC.guestsRevoked, '{guest}', 'Anonymous sessions revoked (logout, RFC 7009, the app)'),
    reaped: counter(METRIC.guestsReaped, '{guest}', 'Ended or expired guests deleted by the reaper'),
    expired: counter(METRIC.guestsExpired, '{guest}', 'Guests found expired'),
    transfers: counter(METRIC.transfers, '{transfer}', 'Transfers at login and sign-up, by outcome'),
    issued: counter(METRIC.tokensIssued, '{response}', 'Token responses (an access and a session token) and transfer tickets, by flow'),
    refused: counter(METRIC.tokensRefused, '{request}', 'Token endpoint requests refused, by OAuth error code'),
    accessRefused: counter(METRIC.accessTokensRefused, '{request}', 'Bearer requests the anonymous strategy refused, by reason'),
    rateLimited: counter(METRIC.rateLimited, '{request}', 'Guest creations refused by the creation limit'),
    challenged: counter(METRIC.challenged, '{request}', 'Guest creations past the limit put to rateLimit.challenge, by result'),
    storeDuration: meter.createHistogram(METRIC.storeDuration, {
      unit: 's',
      description: 'Duration of anonymous store operations',
      advice: { explicitBucketBoundaries: STORE_BUCKETS },
    }),
    storeErrors: counter(METRIC.storeErrors, '{error}', 'Anonymous store operations that failed, by error type'),
  };
}

/**
 * Records through the meter `getMeter` returns, asked for on first use: a global provider the app registers after
 * building its `anonymousSessions()` but before the first request is still the one used. `isNoop` tells a meter that
 * records nothing (`@opentelemetry/api` with no SDK registered: its meters stay no-ops for good), so store calls are
 * then not timed at all: two clock reads and a promise per call, for nothing.
 */
export function meteredInstrumentation(getMeter: () => MeterLike, isNoop: (meter: MeterLike) => boolean = () => false): Instrumentation {
  let made: ReturnType<typeof instruments> | undefined;
  let timing = true;
  const i = () => {
    if (made) return made;
    const meter = getMeter();
    timing = !isNoop(meter);
    return (made = instruments(meter));
  };
  return {
    timesStore: () => {
      if (!made) i();
      return timing;
    },
    enabled: true,
    guestCreated: (via) => i().created.add(1, { [ATTRIBUTE.createdVia]: via }),
    guestStored: (via) => i().stored.add(1, { [ATTRIBUTE.createdVia]: via }),
    guestRevoked: () => i().revoked.add(1),
    guestsReaped: (count) => i().reaped.add(count),
    guestExpired: () => i().expired.add(1),
    transfer: (outcome, reason) => i().transfers.add(1, { [ATTRIBUTE.outcome]: outcome, [ATTRIBUTE.reason]: reason }),
    tokensIssued: (flow) => i().issued.add(1, { [ATTRIBUTE.flow]: flow }),
    tokenRefused: (error) => i().refused.add(1, { [ATTRIBUTE.error]: error }),
    accessTokenRefused: (reason) => i().accessRefused.add(1, { [ATTRIBUTE.error]: reason }),
    creationLimited: (outcome) => {
      if (outcome === 'rate_limited') i().rateLimited.add(1);
      else i().challenged.add(1, { [ATTRIBUTE.challenge]: outcome === 'challenge_passed' ? 'passed' : 'refused' });
    },
    storeOperation: (operation, store, seconds, error) => {
      const attributes = { [ATTRIBUTE.operation]: operation, [ATTRIBUTE.store]: store };
      if (error === undefined) return i().storeDuration.record(seconds, attributes);
      const failed = { ...attributes, [ATTRIBUTE.error]: error };
      i().storeDuration.record(seconds, failed);
      i().storeErrors.add(1, failed);
    },
  };
}
