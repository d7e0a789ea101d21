import type { Logger } from '../config/logger';
import type { MeterLike, MeterProviderLike, MetricsOptions } from './types';
import { ConfigurationError } from '../errors';
import { optionsObject } from '../config/validate';
import { warnOnce } from '../config/logger';
import { meteredInstrumentation, noMetrics, type Instrumentation } from './instrumentation';

/** The instrumentation scope: what OpenTelemetry shows as the meter (`otel_scope_name` in Prometheus). */
export const METER_NAME = 'express-anonymous-session';

/** The part of `@opentelemetry/api` read when no `meterProvider` is given. */
export interface OpenTelemetryApi {
  metrics: { getMeter(name: string, version?: string): MeterLike };
  /** The API's own no-op meter (what `getMeter` answers while no SDK is registered); absent in a stand-in. */
  createNoopMeter?: () => MeterLike;
}

/**
 * `@opentelemetry/api`, loaded only when metrics use the global provider; undefined when it is not installed (an
 * optional peer). Any other failure to load it is a broken install, and says so once.
 */
export function loadOpenTelemetry(logger: Logger): OpenTelemetryApi | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional peer, loaded only when used
    return require('@opentelemetry/api') as OpenTelemetryApi;
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') {
      warnOnce(logger, 'metrics-load', `metrics: @opentelemetry/api could not be loaded, so no metrics are recorded (${err instanceof Error ? err.message : String(err)})`);
    }
    return undefined;
  }
}

/**
 * Option `metrics`: `false` records nothing; `{ meterProvider }` records there; left out (or `{}`), the global
 * provider of `@opentelemetry/api` when it is installed, else nothing (and, when metrics were asked for, a warning).
 */
export function resolveMetrics(value: MetricsOptions | false | undefined, logger: Logger, load = loadOpenTelemetry): Instrumentation {
  if (value === false) return noMetrics;
  const o = optionsObject(value, 'metrics', ['meterProvider']);
  const provider: MeterProviderLike | undefined = o.meterProvider;
  if (provider !== undefined) {
    if (provider === null || typeof provider.getMeter !== 'function') {
      throw new ConfigurationError('metrics.meterProvider', 'must be an OpenTelemetry MeterProvider (an object with getMeter(name, version))');
    }
    return meteredInstrumentation(() => provider.getMeter(METER_NAME, VERSION));
  }
  const api = load(logger);
  if (!api) {
    if (value !== undefined) {
      warnOnce(logger, 'metrics-api', 'metrics: @opentelemetry/api is not installed, so no metrics are recorded. Install it, or pass metrics.meterProvider');
    }
    return noMetrics;
  }
  const noop = api.createNoopMeter?.().constructor;
  return meteredInstrumentation(
    () => api.metrics.getMeter(METER_NAME, VERSION),
    (meter) => noop !== undefined && meter.constructor === noop,
  );
}

/** This package's version, for the meter (lib/metrics and dist/metrics both sit two levels below package.json). */
const VERSION: string | undefined = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- read once, at load
    return (require('../../package.json') as { version?: string }).version;
  } catch {
    return undefined;
  }
})();
