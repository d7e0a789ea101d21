import autocannon from 'autocannon';

export interface LoadSpec {
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/**
 * A bounded autocannon run (duration and connections fixed) from this process against one server: as fast as it
 * answers, or at `rate` requests per second in all.
 */
export async function load(url: string, spec: LoadSpec, seconds: number, connections: number, rate?: number): Promise<LoadResult> {
  const result = await autocannon({
    url: url + spec.path,
    method: spec.method ?? 'GET',
    headers: spec.headers,
    body: spec.body,
    duration: seconds,
    connections,
    pipelining: 1,
    ...(rate === undefined ? {} : { overallRate: rate }),
  });
  const requests = result['2xx'];
  return {
    requests,
    rps: requests / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
