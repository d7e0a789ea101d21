import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';

type Attributes = Record<string, string | number | boolean>;

/** One exported point: a counter's sum, or a histogram's count and sum. */
export interface Point {
  attributes: Attributes;
  value: number;
  /** Histograms: how many values were recorded. */
  count?: number;
}

/**
 * A MeterProvider read through the OpenTelemetry SDK's in-memory exporter: `read()` flushes and answers every
 * series by name, as an exporter (Prometheus, OTLP) would see them.
 */
export function metricsReader() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });

  async function read(): Promise<Map<string, { data: MetricData; points: Point[] }>> {
    exporter.reset();
    await reader.forceFlush();
    const series = new Map<string, { data: MetricData; points: Point[] }>();
    for (const resource of exporter.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        for (const data of scope.metrics) {
          const points = data.dataPoints.map((p): Point => {
            if (data.dataPointType === DataPointType.HISTOGRAM) {
              const h = p.value as { count: number; sum?: number };
              return { attributes: p.attributes as Attributes, value: h.sum ?? 0, count: h.count };
            }
            return { attributes: p.attributes as Attributes, value: p.value as number };
          });
          series.set(data.descriptor.name, { data, points });
        }
      }
    }
    return series;
  }

  /** The counter's value for exactly these attributes (0 when never recorded). */
  async function count(name: string, attributes: Attributes = {}): Promise<number> {
    const point = (await read()).get(name)?.points.find((p) => sameAttributes(p.attributes, attributes));
    return point?.count ?? point?.value ?? 0;
  }

  return { provider, read, count, shutdown: () => provider.shutdown() };
}

function sameAttributes(a: Attributes, b: Attributes): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
