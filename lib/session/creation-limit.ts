import { isIPv4, isIPv6 } from 'node:net';
import type { Request } from 'express';
import type { AnonymousStore } from '../store/types';
import type { Instrumentation } from '../metrics/instrumentation';
import { ChallengeRequiredError, ConfigurationError, RateLimitedError } from '../errors';
import { integerInRange, optionalFunction, optionsObject, positiveInteger } from '../config/validate';
import { noMetrics } from '../metrics/instrumentation';

export interface RateLimitOption {
  /**
   * Guests one client address (IPv6: one prefix) may create per `duration`. Default 120: a hundred shoppers behind
   * one carrier-grade NAT or office proxy who arrive within a minute all get a guest; a flood from one address is
   * held to this rate.
   */
  points?: number;
  /** Window in seconds. Default 60. */
  duration?: number;
  /** IPv6 addresses are grouped by this prefix length, since one subscriber gets a whole prefix. Default 56. */
  ipv6Prefix?: number;
  /**
   * Asked, past the limit, instead of refusing: verify the challenge the client solved (a Turnstile or hCaptcha
   * token, a proof of work) and resolve true to let this creation through (it is still counted). Without it, or when
   * it resolves false, the creation is refused: 429 `rate_limited`, or `challenge_required` when a hook is set.
   */
  challenge?: (req: Request) => boolean | Promise<boolean>;
}

export interface ResolvedRateLimit {
  points: number;
  duration: number;
  ipv6Prefix: number;
  challenge: ((req: Request) => boolean | Promise<boolean>) | undefined;
}

export function resolveRateLimit(value: RateLimitOption | false | undefined): ResolvedRateLimit | false {
  if (value === false) return false;
  if (typeof value !== 'object' && value !== undefined) {
    throw new ConfigurationError('rateLimit', 'must be an object ({ points, duration, ipv6Prefix, challenge }) or false to turn the limit off');
  }
  const v = optionsObject(value, 'rateLimit', ['points', 'duration', 'ipv6Prefix', 'challenge']);
  return {
    points: positiveInteger(v.points ?? 120, 'rateLimit.points'),
    duration: positiveInteger(v.duration ?? 60, 'rateLimit.duration'),
    ipv6Prefix: integerInRange(v.ipv6Prefix ?? 56, 'rateLimit.ipv6Prefix', 16, 128),
    challenge: optionalFunction(v.challenge, 'rateLimit.challenge'),
  };
}

/**
 * Limits guest creation per client address, counted in the anonymous store (in Redis for a `RedisStore`, so the
 * limit holds across processes): a fixed window per address.
 */
export class CreationLimiter {
  constructor(
    private readonly store: AnonymousStore,
    private readonly options: ResolvedRateLimit,
    private readonly clock: () => number,
    private readonly metrics: Instrumentation = noMetrics,
  ) {}

  /** Counts one creation for the request's address (`req.ip`, which honours Express's `trust proxy`). */
  async consume(req: Request): Promise<void> {
    const now = this.clock();
    const key = `create:${clientKey(req.ip ?? 'unknown', this.options.ipv6Prefix)}`;
    const { count, resetAt } = await this.store.countHit(key, this.options.duration * 1000, now);
    if (count <= this.options.points) return;
    const retryAfter = Math.max(1, Math.ceil((resetAt - now) / 1000));
    const { challenge } = this.options;
    if (!challenge) {
      this.metrics.creationLimited('rate_limited');
      throw new RateLimitedError(retryAfter);
    }
    const passed = await challenge(req);
    this.metrics.creationLimited(passed ? 'challenge_passed' : 'challenge_refused');
    if (!passed) throw new ChallengeRequiredError(retryAfter);
  }
}

/** IPv4 as is (also when IPv4-mapped); IPv6 reduced to its first `prefix` bits. */
export function clientKey(ip: string, prefix: number): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const groups = expandIPv6(ip);
  let bits = '';
  for (const g of groups) bits += parseInt(g, 16).toString(2).padStart(16, '0');
  const kept = bits.slice(0, prefix).padEnd(128, '0');
  const out: string[] = [];
  for (let i = 0; i < 128; i += 16) out.push(parseInt(kept.slice(i, i + 16), 2).toString(16));
  return `${out.join(':')}/${prefix}`;
}

function expandIPv6(ip: string): string[] {
  const clean = ip.split('%')[0];
  const [head, tail] = clean.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t];
}
