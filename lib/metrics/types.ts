/**
 * The part of the OpenTelemetry metrics API this library uses, written out structurally so that the published types
 * never import `@opentelemetry/api` (an optional peer): any OpenTelemetry `MeterProvider` fits.
 */

/** Low-cardinality attributes of one measurement. */
export type MetricAttributes = Record<string, string | number | boolean>;

export interface InstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

export interface CounterLike {
  add(value: number, attributes?: MetricAttributes): void;
}

export interface HistogramLike {
  record(value: number, attributes?: MetricAttributes): void;
}

/** An OpenTelemetry `Meter`, as far as this library uses one. */
export interface MeterLike {
  createCounter(name: string, options?: InstrumentOptions): CounterLike;
  createHistogram(name: string, options?: InstrumentOptions): HistogramLike;
}

/** An OpenTelemetry `MeterProvider` (from `@opentelemetry/sdk-metrics`, or `metrics.getMeterProvider()`). */
export interface MeterProviderLike {
  getMeter(name: string, version?: string, options?: { schemaUrl?: string }): MeterLike;
}

/** Option `metrics` of `anonymousSessions()`; `false` records nothing. */
export interface MetricsOptions {
  /**
   * Where the instruments come from. Default: the global provider of `@opentelemetry/api` (what the OpenTelemetry
   * SDK registers at start-up), or none when that package is not installed.
   */
  meterProvider?: MeterProviderLike;
}
