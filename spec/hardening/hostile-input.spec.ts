import request from 'supertest';
import fc from 'fast-check';
import { MemoryStore } from '../../lib';
import { serializeMetadata } from '../../lib/session/metadata';
import { buildApp } from '../support/app';

const PARAMS = ['client_id', 'client_secret', 'audience', 'scope', 'metadata', 'user_id', 'session_token', 'requested_token_type', '__proto__', 'constructor'];

/** Arbitrary JSON-ish values, including the shapes parsers stumble on. */
const hostileValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', 'a'.repeat(5000), '{"__proto__":{"polluted":true}}', '[]', 'null', 'eyJ.eyJ.', '..', 'Bearer x'),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'a', 'cart'), fc.oneof(fc.string({ maxLength: 8 }), fc.constant({ polluted: true })), { maxKeys: 3 }),
);

describe('hostile input (property-based)', () => {
  afterEach(() => expect(({} as Record<string, unknown>).polluted).toBeUndefined());

  it('the token endpoint never answers 500, always OAuth-shaped and uncached, and writes nothing when it refuses', async () => {
    const store = new MemoryStore();
    const { app } = buildApp({ store, rateLimit: false, scopes: ['a'] }, undefined, (a, anon) => a.use(anon.router()));
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom(...PARAMS), hostileValue, { maxKeys: 5 }), fc.boolean(), async (params, asForm) => {
        const before = store.size;
        const req = request(app).post('/anonymous/token');
        const res = asForm
          ? await req.type('form').send(Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`).join('&'))
          : await req.send(JSON.parse(JSON.stringify(params)));
        expect(res.status).toBeLessThan(500);
        expect(res.headers['cache-control']).toBe('no-store');
        if (res.status !== 200) {
          expect(res.body).toEqual({ error: expect.any(String), error_description: expect.any(String) });
          expect(store.size).toBe(before);
        } else {
          expect(store.size).toBeLessThanOrEqual(before + 1);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('metadata writes never 500, never write partially, never touch Object.prototype', async () => {
    const { app, anon } = buildApp({ rateLimit: false, limits: { metadataBytes: 256, metadataDepth: 3, metadataKeys: 10 } });
    const agent = request.agent(app);
    const me = (await agent.get('/me')).body;
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), async (value) => {
        const before = (await anon.getSession(me.sessionId))!;
        const res = await agent.patch('/metadata').set('content-type', 'application/json').send(JSON.stringify(value));
        expect(res.status).toBeLessThan(500);
        const after = (await anon.getSession(me.sessionId))!;
        if (res.status !== 200) expect(after.metadata).toEqual(before.metadata);
        else expect(() => serializeMetadata(after.metadata, { metadataBytes: 256, metadataDepth: 3, metadataKeys: 10 })).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });

  it('cookies: arbitrary Cookie headers never 500 and never reach the store with a forged id', async () => {
    const store = new MemoryStore();
    const { app } = buildApp({ store, rateLimit: false });
    const get = jest.spyOn(store, 'get');
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (raw) => {
        const cookie = raw.replace(/[^\x20-\x7e]/g, '');
        const res = await request(app).get('/me').set('Cookie', `connect.sid=${cookie}`);
        expect(res.status).toBe(200);
      }),
      { numRuns: 150 },
    );
    expect(get).not.toHaveBeenCalled();
  });

  it('session tokens: arbitrary and mutated values are refused as invalid_session_token, never 500', async () => {
    const { app } = buildApp({ rateLimit: false }, undefined, (a, anon) => a.use(anon.router()));
    const valid = (await request(app).post('/anonymous/token').send({})).body.session_token as string;
    const mutated = fc.tuple(fc.nat({ max: valid.length - 1 }), fc.string({ minLength: 1, maxLength: 3 })).map(([i, s]) => valid.slice(0, i) + s + valid.slice(i + 1)).filter((t) => t !== valid);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ minLength: 1 }), mutated), async (token) => {
        const res = await request(app).post('/anonymous/token').send({ session_token: token });
        expect(res.status).toBe(400);
        expect(['invalid_session_token', 'invalid_grant', 'session_expired']).toContain(res.body.error);
      }),
      { numRuns: 150 },
    );
  });
});
