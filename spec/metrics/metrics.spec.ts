import passport from 'passport';
import request from 'supertest';
import { metrics as otel } from '@opentelemetry/api';
import type { Express } from 'express';
import { MemoryStore, StoreUnavailableError, anonymousSessions, type AnonymousSessions, type AnonymousSessionsOptions, type AnonymousStore, type MeterProviderLike } from '../../lib';
import { buildApp, frozenClock, route, AUDIENCE, ISSUER } from '../support/app';
import { internals } from '../support/internals';
import { metricsReader } from '../support/metrics';
import { TEST_KEYS } from '../support/keys';

/**
 * Every series, read the way an exporter reads it: through the OpenTelemetry SDK (a MeterProvider with the
 * in-memory exporter). Names and attributes are the ones docs/metrics.md lists.
 */
let reader: ReturnType<typeof metricsReader>;
beforeEach(() => {
  reader = metricsReader();
});
afterEach(() => reader.shutdown());

/** The test app, recording into this test's reader: token endpoint, a bearer API, a login that transfers. */
function shop(options: Partial<AnonymousSessionsOptions> = {}): { app: Express; anon: AnonymousSessions } {
  const pp = new passport.Passport();
  return buildApp({ metrics: { meterProvider: reader.provider }, ...options }, undefined, (app, anon) => {
    pp.use(anon.strategy({ checkRevocation: true, scope: [] }));
    app.use(anon.router());
    app.get('/api/me', pp.authenticate('anonymous', { session: false }), (req, res) => res.json(req.user));
    app.get('/api/cart', pp.authenticate('anonymous', { session: false, scope: 'cart' }), (req, res) => res.json(req.user));
    app.post('/login', (req, _res, next) => ((req.user = { id: 'alice' }), next()), anon.transfer('login'), (req, res) => res.json(req.anonymousTransfer));
    app.post('/tokens', route(async (req, res) => void res.json(await req.anonymous!.issueTokens())));
  });
}

const guestsCreated = (via: string) => reader.count('anonymous_session.guests.created', { 'anonymous_session.created_via': via });
const guestsStored = (via: string) => reader.count('anonymous_session.guests.stored', { 'anonymous_session.created_via': via });

describe('anonymous_session.guests.*', () => {
  it('created counts every new guest, provisional cookie visitors included; stored counts those written, by how they came', async () => {
    const { app, anon } = shop({ persist: 'write' });
    const agent = request.agent(app);
    await agent.get('/me').expect(200); // a visitor who only looks: a provisional guest, nothing stored, no cookie
    expect(await guestsCreated('cookie')).toBe(1);
    expect(await guestsStored('cookie')).toBe(0);
    await agent.post('/cart').send({ sku: 'tea' }).expect(200); // the next one writes: stored, and the cookie binds it
    await agent.post('/cart').send({ sku: 'pot' }).expect(200);
    expect(await guestsCreated('cookie')).toBe(2);
    expect(await guestsStored('cookie')).toBe(1);

    await request(app).post('/anonymous/token').send({}).expect(200);
    expect(await guestsCreated('token_endpoint')).toBe(1);
    expect(await guestsStored('token_endpoint')).toBe(1);

    await anon.createSession({ metadata: {} });
    expect(await guestsCreated('api')).toBe(1);
    expect(await guestsStored('api')).toBe(1);
  });

  it('an idempotent retry of a creation is not a new guest', async () => {
    const { app } = shop();
    const key = 'a-retry-key-that-is-long-enough';
    await request(app).post('/anonymous/token').set('Idempotency-Key', key).send({}).expect(200);
    await request(app).post('/anonymous/token').set('Idempotency-Key', key).send({}).expect(200);
    expect(await guestsStored('token_endpoint')).toBe(1);
  });

  it('revoked counts sessions that ended by revocation (logout, RFC 7009, the app), once each', async () => {
    const { app, anon } = shop();
    const { body } = await request(app).post('/anonymous/token').send({}).expect(200);
    await request(app).post('/anonymous/logout').send({ session_token: body.session_token }).expect(204);
    const other = await anon.createSession();
    expect(await anon.revokeSession(other.sessionId)).toBe(true);
    expect(await anon.revokeSession(other.sessionId)).toBe(false);
    expect(await reader.count('anonymous_session.guests.revoked')).toBe(2);
  });

  it('expired counts each expired record once, on its first delivery; reaped counts the records deleted after delivery', async () => {
    const clock = frozenClock();
    const { anon } = shop({ clock: clock.now, lifecycle: { reaper: false } });
    let failNext = true;
    anon.on('expired', () => {
      if (failNext) throw ((failNext = false), new Error('the uploads database is down'));
    });
    await Promise.all([1, 2, 3].map(() => anon.createSession()));
    clock.advance(7 * 86_400 + 11 * 60); // past every guest's idle expiry and its expiry-index slot
    expect(await anon.admin.reap()).toMatchObject({ expired: 3, delivered: 2, failed: 1 });
    expect(await reader.count('anonymous_session.guests.expired')).toBe(3);
    expect(await reader.count('anonymous_session.guests.reaped')).toBe(2);
    clock.advance(3600); // past the retry delay: the record whose listener threw comes again
    expect(await anon.admin.reap()).toMatchObject({ expired: 1, delivered: 1 });
    expect(await reader.count('anonymous_session.guests.expired')).toBe(3);
    expect(await reader.count('anonymous_session.guests.reaped')).toBe(3);
    anon.close();
  });
});

describe('anonymous_session.transfers', () => {
  const transfers = (outcome: string) => reader.count('anonymous_session.transfers', { 'anonymous_session.transfer.outcome': outcome, 'anonymous_session.transfer.reason': 'login' });

  it('counts every outcome, by outcome and reason', async () => {
    const { app } = shop();
    const agent = request.agent(app);
    await agent.post('/cart').send({ sku: 'tea' }).expect(200);
    expect((await agent.post('/login').expect(200)).body.status).toBe('merged');
    // A bearer request carries no cookie guest: nothing to transfer.
    expect((await request(app).post('/login').set('Authorization', 'Bearer x').expect(200)).body.status).toBe('no_session');
    expect(await transfers('merged')).toBe(1);
    expect(await transfers('no_session')).toBe(1);
  });

  it('a transfer that throws (the store is down) is counted as an error', async () => {
    const store = new MemoryStore();
    const { app } = shop({ store });
    const agent = request.agent(app);
    await agent.post('/cart').send({ sku: 'tea' }).expect(200);
    jest.spyOn(store, 'claim').mockRejectedValue(new StoreUnavailableError('down'));
    expect((await agent.post('/login')).status).toBe(503);
    expect(await transfers('error')).toBe(1);
    store.close();
  });
});

describe('anonymous_session.tokens.*', () => {
  const issued = (flow: string) => reader.count('anonymous_session.tokens.issued', { 'anonymous_session.token.flow': flow });
  const refused = (error: string) => reader.count('anonymous_session.tokens.refused', { 'error.type': error });

  it('issued counts token responses by flow: create, renew, browser, transfer_ticket, server', async () => {
    const { app } = shop();
    const { body } = await request(app).post('/anonymous/token').send({}).expect(200);
    await request(app).post('/anonymous/token').send({ session_token: body.session_token }).expect(200);
    await request(app).post('/anonymous/token').send({ grant_type: 'refresh_token', refresh_token: body.session_token }).expect(200);
    await request(app).post('/anonymous/token').send({ session_token: body.session_token, requested_token_type: 'transfer_ticket' }).expect(200);
    const agent = request.agent(app);
    await agent.get('/me').expect(200);
    await agent.post('/anonymous/token').set('Sec-Fetch-Site', 'same-origin').send({}).expect(200);
    await agent.post('/tokens').expect(200);
    expect(await issued('create')).toBe(1);
    expect(await issued('renew')).toBe(2);
    expect(await issued('transfer_ticket')).toBe(1);
    expect(await issued('browser')).toBe(1);
    expect(await issued('server')).toBe(1);
  });

  it('refused counts refusals by the OAuth error the client got (error.type)', async () => {
    const store = new MemoryStore();
    const { app } = shop({ store });
    await request(app).post('/anonymous/token').send({ grant_type: 'password' }).expect(400);
    await request(app).post('/anonymous/token').send({ session_token: 'not-a-token' }).expect(400);
    await request(app).post('/anonymous/token').send({ session_token: 'not-a-token' }).expect(400);
    jest.spyOn(store, 'create').mockRejectedValue(new StoreUnavailableError('down'));
    await request(app).post('/anonymous/token').send({}).expect(503);
    expect(await refused('unsupported_grant_type')).toBe(1);
    expect(await refused('invalid_session_token')).toBe(2);
    expect(await refused('temporarily_unavailable')).toBe(1);
    expect(await issued('create')).toBe(0);
    store.close();
  });
});

describe('anonymous_session.access_tokens.refused', () => {
  const refused = (reason: string) => reader.count('anonymous_session.access_tokens.refused', { 'error.type': reason });

  it('counts bearer requests the strategy refused, by reason', async () => {
    const clock = frozenClock(Date.now());
    const { app, anon } = shop({ clock: clock.now });
    const { body } = await request(app).post('/anonymous/token').send({}).expect(200);
    const bearer = `Bearer ${body.access_token}`;
    await request(app).get('/api/me').set('Authorization', bearer).expect(200);
    await request(app).get('/api/me').expect(401);
    await request(app).get('/api/me').set('Authorization', 'Bearer nope').expect(401);
    await request(app).get('/api/cart').set('Authorization', bearer).expect(403);
    await anon.revokeSession(JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString()).sid);
    await request(app).get('/api/me').set('Authorization', bearer).expect(401);
    clock.advance(3600);
    await request(app).get('/api/me').set('Authorization', bearer).expect(401);
    expect(await refused('missing')).toBe(1);
    expect(await refused('expired')).toBe(1);
    expect(await refused('invalid')).toBe(1);
    expect(await refused('insufficient_scope')).toBe(1);
    expect(await refused('revoked')).toBe(1);
  });
});

describe('anonymous_session.creations.*', () => {
  it('rate_limited counts creations refused by the creation limit', async () => {
    const { app } = shop({ rateLimit: { points: 1 } });
    await request(app).post('/anonymous/token').send({}).expect(200);
    await request(app).post('/anonymous/token').send({}).expect(429);
    expect(await reader.count('anonymous_session.creations.rate_limited')).toBe(1);
    expect(await reader.count('anonymous_session.tokens.refused', { 'error.type': 'rate_limited' })).toBe(1);
  });

  it('challenged counts creations past the limit put to the challenge hook, by result', async () => {
    const { app } = shop({ rateLimit: { points: 1, challenge: (req) => req.get('x-solved') === 'yes' } });
    await request(app).post('/anonymous/token').send({}).expect(200);
    await request(app).post('/anonymous/token').set('x-solved', 'yes').send({}).expect(200);
    await request(app).post('/anonymous/token').send({}).expect(429);
    expect(await reader.count('anonymous_session.creations.challenged', { 'anonymous_session.challenge.result': 'passed' })).toBe(1);
    expect(await reader.count('anonymous_session.creations.challenged', { 'anonymous_session.challenge.result': 'refused' })).toBe(1);
    expect(await reader.count('anonymous_session.creations.rate_limited')).toBe(0);
  });
});

describe('anonymous_session.store.*', () => {
  it('operation.duration times every store call by method (seconds); errors counts failures by error.type', async () => {
    const store = new MemoryStore();
    const { app } = shop({ store });
    const agent = request.agent(app);
    await agent.get('/me').expect(200);
    await agent.post('/cart').send({ sku: 'tea' }).expect(200);
    const series = await reader.read();
    const duration = series.get('anonymous_session.store.operation.duration')!;
    expect(duration.data.descriptor.unit).toBe('s');
    const operations = duration.points.map((p) => p.attributes['db.operation.name']);
    expect(operations).toEqual(expect.arrayContaining(['create', 'get', 'compareAndSetMetadata', 'countHit']));
    expect(duration.points.every((p) => p.attributes['anonymous_session.store'] === 'memory' && p.count! >= 1 && p.value >= 0)).toBe(true);

    jest.spyOn(store, 'get').mockRejectedValue(new StoreUnavailableError('down'));
    await agent.get('/me').expect(503);
    const failed = { 'db.operation.name': 'get', 'anonymous_session.store': 'memory', 'error.type': 'temporarily_unavailable' };
    expect(await reader.count('anonymous_session.store.errors', failed)).toBe(1);
    expect(await reader.count('anonymous_session.store.operation.duration', failed)).toBe(1);
    store.close();
  });

  it('a store the app wrote is timed too (`custom`)', async () => {
    const memory = new MemoryStore();
    const custom: Record<string, unknown> = {};
    for (const name of Object.getOwnPropertyNames(MemoryStore.prototype)) {
      const method = (memory as unknown as Record<string, unknown>)[name];
      if (name !== 'constructor' && typeof method === 'function') custom[name] = method.bind(memory);
    }
    const { anon } = shop({ store: custom as unknown as AnonymousStore });
    await anon.createSession();
    expect(await reader.count('anonymous_session.store.operation.duration', { 'db.operation.name': 'create', 'anonymous_session.store': 'custom' })).toBe(1);
    memory.close();
  });
});

describe('option metrics', () => {
  const options = { issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS };

  it('false records nothing and leaves the store unmeasured', async () => {
    const store = new MemoryStore();
    const anon = anonymousSessions({ ...options, store, metrics: false });
    await anon.createSession();
    expect(internals(anon).store.get.name).not.toBe('measuredStoreOperation');
    expect(internals(anon).metrics.enabled).toBe(false);
    expect((await reader.read()).size).toBe(0);
    store.close();
  });

  it('left out, records through the global MeterProvider of @opentelemetry/api, registered before the first use', async () => {
    const anon = anonymousSessions(options);
    otel.setGlobalMeterProvider(reader.provider);
    try {
      await anon.createSession();
      expect(await guestsStored('api')).toBe(1);
    } finally {
      otel.disable();
      anon.close();
    }
  });

  it('left out, with @opentelemetry/api but no SDK registered, does not time store calls (its meters stay no-ops)', async () => {
    const anon = anonymousSessions(options);
    const now = jest.spyOn(performance, 'now');
    try {
      const { sessionId } = await anon.createSession();
      now.mockClear();
      await internals(anon).store.get(sessionId);
      expect(now).not.toHaveBeenCalled();
      expect(internals(anon).metrics.timesStore()).toBe(false);
    } finally {
      now.mockRestore();
      anon.close();
    }
    // Registered before the first use, the SDK gets the store timings.
    const timed = anonymousSessions(options);
    otel.setGlobalMeterProvider(reader.provider);
    try {
      await timed.createSession();
      expect(internals(timed).metrics.timesStore()).toBe(true);
      expect((await reader.read()).has('anonymous_session.store.operation.duration')).toBe(true);
    } finally {
      otel.disable();
      timed.close();
    }
  });

  it('names the option it refuses', () => {
    const bad = (metrics: unknown) => () => anonymousSessions({ ...options, metrics } as AnonymousSessionsOptions);
    expect(bad('yes')).toThrow(/^metrics: must be an object/);
    expect(bad({ meterProvider: {} })).toThrow(/^metrics\.meterProvider: must be an OpenTelemetry MeterProvider/);
    expect(bad({ meterprovider: reader.provider })).toThrow(/^metrics\.meterprovider: is not an option; did you mean metrics\.meterProvider\?/);
  });

  it("accepts the SDK's MeterProvider as is (structural types: the published types never import @opentelemetry/api)", () => {
    const provider: MeterProviderLike = reader.provider;
    expect(typeof provider.getMeter).toBe('function');
  });
});

describe('without @opentelemetry/api (an optional peer)', () => {
  /** The library loaded afresh, with `require('@opentelemetry/api')` failing as `failure`. */
  const load = (failure: Error) => {
    let lib!: typeof import('../../lib') & { internalsOf: typeof import('../../lib/internals').internalsOf };
    jest.isolateModules(() => {
      jest.doMock('@opentelemetry/api', () => {
        throw failure;
      });
      /* eslint-disable @typescript-eslint/no-require-imports -- a fresh module registry needs require() */
      lib = { ...(require('../../lib') as typeof import('../../lib')), internalsOf: (require('../../lib/internals') as typeof import('../../lib/internals')).internalsOf };
      /* eslint-enable @typescript-eslint/no-require-imports */
    });
    return lib;
  };
  const notInstalled = () => Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: 'MODULE_NOT_FOUND' });
  const warnings = () => {
    const lines: string[] = [];
    return { lines, logger: { warn: (m: string) => void lines.push(m) } };
  };
  afterEach(() => jest.dontMock('@opentelemetry/api'));

  it('records nothing, says nothing, and works as before when metrics were not asked for', async () => {
    const lib = load(notInstalled());
    const log = warnings();
    const anon = lib.anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, logger: log.logger });
    expect(lib.internalsOf(anon).metrics.enabled).toBe(false);
    await anon.createSession();
    expect(log.lines).toEqual([]);
    anon.close();
  });

  it('warns once when metrics were asked for without a meterProvider', () => {
    const lib = load(notInstalled());
    const log = warnings();
    lib.anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, logger: log.logger, metrics: {} }).close();
    expect(log.lines).toEqual([expect.stringMatching(/metrics: @opentelemetry\/api is not installed, so no metrics are recorded/)]);
  });

  it('still records through a meterProvider passed in (the API package is not needed for that)', async () => {
    const lib = load(notInstalled());
    const anon = lib.anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, metrics: { meterProvider: reader.provider } });
    await anon.createSession();
    expect(await guestsStored('api')).toBe(1);
    anon.close();
  });

  it('a broken install (it is there but fails to load) is said, not swallowed', () => {
    const lib = load(new Error('Unexpected token'));
    const log = warnings();
    lib.anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, logger: log.logger }).close();
    expect(log.lines).toEqual([expect.stringMatching(/@opentelemetry\/api could not be loaded, so no metrics are recorded \(Unexpected token\)/)]);
  });
});
