import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import express from 'express';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { anonymousSessions } from '../../lib';
import { METRIC } from '../../lib/metrics/instrumentation';
import { internals } from '../support/internals';
import { AUDIENCE, ISSUER } from '../support/app';
import { TEST_KEYS } from '../support/keys';

/** docs/metrics.md lists what a Prometheus scrape shows: wired as the page says, every series is there as listed. */
describe('docs/metrics.md', () => {
  const doc = readFileSync(join(__dirname, '../../docs/metrics.md'), 'utf8');
  const table = doc.slice(doc.indexOf('## Series'), doc.indexOf('## Grafana'));
  const rows = table
    .split('\n')
    .filter((line) => line.startsWith('| `anonymous_session.'))
    .map((line) => {
      const [otel, prometheus, , attributes] = line.split(' | ');
      const names = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
      return { otel: names(otel)[0], series: names(prometheus)[0], labels: names(attributes).filter((n) => n.includes('.')).map((n) => n.replace(/\./g, '_')) };
    });

  it('lists every metric the library records, and nothing else', () => {
    expect(rows.map((r) => r.otel).sort()).toEqual(Object.values(METRIC).sort());
  });

  it("shows each series under the name and labels the Prometheus exporter serves, on the app's own /metrics", async () => {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const meterProvider = new MeterProvider({ readers: [exporter] });
    const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, metrics: { meterProvider } });
    const app = express();
    app.get('/metrics', (req, res) => exporter.getMetricsRequestHandler(req, res));
    // One of everything, each with every attribute it can carry.
    const m = internals(anon).metrics;
    m.guestCreated('cookie');
    m.guestStored('cookie');
    m.guestRevoked();
    m.guestsReaped(2);
    m.guestExpired();
    m.transfer('merged', 'login');
    m.tokensIssued('create');
    m.tokenRefused('invalid_grant');
    m.accessTokenRefused('expired');
    m.creationLimited('rate_limited');
    m.creationLimited('challenge_passed');
    m.storeOperation('get', 'redis', 0.002, 'temporarily_unavailable');
    try {
      const scrape = (await request(app).get('/metrics').expect(200)).text.split('\n');
      for (const { series, labels } of rows) {
        const lines = scrape.filter((line) => line.startsWith(`${series}{`));
        expect({ series, found: lines.length > 0 }).toEqual({ series, found: true });
        for (const label of labels) expect({ series, label, found: lines.some((line) => line.includes(`${label}="`)) }).toEqual({ series, label, found: true });
      }
    } finally {
      await meterProvider.shutdown();
      anon.close();
    }
  });
});
