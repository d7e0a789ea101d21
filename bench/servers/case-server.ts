/**
 * One benchmark server: an Express app selected by CASE, on 127.0.0.1, in its own process. Prints
 * `listening <port>`; answers `cpu` over IPC with its own CPU time, so the harness measures server CPU per request.
 */
import type { AddressInfo } from 'node:net';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import express, { type Express } from 'express';
import session, { type Store } from 'express-session';
import passport from 'passport';
import { Strategy as PassportStrategy } from 'passport-strategy';
import { Strategy as JwtStrategy, ExtractJwt } from 'passport-jwt';
import { RedisStore as SessionRedisStore } from 'connect-redis';
import { createClient, type RedisClientType } from 'redis';
import { jwtVerify } from 'jose';
import { randomUUID } from 'node:crypto';
import type { AnonymousStore, KeysOption } from '../../lib';
import { newRecord } from '../../lib/session/record';
import { GET } from '../../lib/store/redis-scripts';
import { baselineCreate } from '../lib/baseline-create';

const CASE = process.env.CASE ?? '';
// The library as it is published: tsc's output in dist/, which bench/run.ts builds first. Through tsx (lib/, with
// BENCH_LIB=lib) every closure the hot path creates also goes through esbuild's `__name` helper (tsx compiles with
// keepNames), which users' builds do not: measured 3-25% more CPU per returning guest on Redis.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { anonymousSessions, MemoryStore, RedisStore } = (process.env.BENCH_LIB === 'lib' ? require('../../lib') : require('../../dist')) as typeof import('../../lib');
const keysJson = JSON.parse(process.env.EAS_BENCH_KEYS ?? '{}') as { pem: string; secret: string };
const KEYS: KeysOption = { accessToken: [keysJson.pem], sessionToken: { secret: keysJson.secret } };
const ISSUER = 'http://127.0.0.1';
const AUDIENCE = 'bench-api';

// Exit through process.exit so `node --cpu-prof` writes its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));

process.on('message', (msg) => {
  if (msg === 'cpu') process.send?.({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
});

async function redis(): Promise<RedisClientType> {
  const client = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true }) as RedisClientType;
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

function withSession(app: Express, store?: Store): void {
  app.use(session({ secret: 'bench-session-secret', resave: false, saveUninitialized: false, store }));
}

async function build(): Promise<Express> {
  const app = express();
  app.set('etag', false);
  const prefix = `bench:${randomUUID().slice(0, 8)}:`;
  const [family, storeKind] = CASE.split(':'); // e.g. "anon:redis" (the defaults), "anon:redis-nocache", "session:memory"

  if (family === 'session' || family === 'anon') {
    const client = storeKind.startsWith('redis') ? await redis() : undefined;
    withSession(app, client ? new SessionRedisStore({ client, prefix: `${prefix}sess:` }) : undefined);
    if (family === 'anon') {
      const store: AnonymousStore = client ? new RedisStore({ client, prefix, ...(storeKind === 'redis-nocache' ? { cache: false } : {}) }) : new MemoryStore({ maxSessions: 2_000_000 });
      // BENCH_ANON_OPTIONS (JSON): options merged in for an experiment, e.g. '{"lifecycle":{"reaper":false}}'.
      const extra = JSON.parse(process.env.BENCH_ANON_OPTIONS ?? '{}') as Record<string, unknown>;
      const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: KEYS, store, rateLimit: false, persist: 'always', ...extra });
      app.use(anon.middleware());
      app.get('/', (req, res) => res.json({ id: req.anonymous!.id }));
    } else if (CASE === 'session:redis-floor') {
      // The floor for case 2 with its one extra round trip: express-session + connect-redis, then one raw EVALSHA
      // of the same read script our store sends (the hash as one JSON string), parsed; nothing else of ours.
      const key = `${prefix}s:{floor}`;
      const record = newRecord({ userId: `anon|${randomUUID()}`, metadata: '{}', now: Date.now(), lifetimes: { idle: 604800, absolute: 2592000 } });
      await client!.hSet(key, { u: record.userId, c: record.createdAt, s: record.lastSeenAt, e: record.expiresAt, a: record.absoluteExpiresAt, m: record.metadata, v: record.version, st: 'active' });
      const sha = await client!.scriptLoad(GET.source); // exactly what RedisStore.get() sends
      app.get('/', async (req, res) => {
        if (req.session.anonymous === undefined) req.session.anonymous = randomUUID();
        const flat = JSON.parse((await client!.evalSha(sha, { keys: [key], arguments: [] })) as string) as string[];
        res.json({ id: req.session.anonymous, user: flat[1] });
      });
    } else {
      // The baseline: the best a hand-written route on express-session does for a visitor it must remember.
      app.get('/', (req, res) => {
        if (req.session.anonymous === undefined) req.session.anonymous = randomUUID();
        res.json({ id: req.session.anonymous });
      });
    }
    return app;
  }

  if (family === 'bearer') {
    const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: KEYS, rateLimit: false, persist: 'always' });
    const pp = new passport.Passport();
    const privateKey = createPrivateKey(keysJson.pem);
    const publicKey = createPublicKey(privateKey);
    if (storeKind === 'anon') pp.use(anon.strategy());
    if (storeKind === 'anon-nocache') pp.use(anon.strategy({ cacheSize: 0 }));
    if (storeKind === 'jose') {
      // A minimal strategy wrapping jose's jwtVerify on the same key: the floor for a passport bearer route.
      class JoseStrategy extends PassportStrategy {
        name = 'anonymous';
        override authenticate(req: express.Request): void {
          const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
          if (!token) return this.fail(401);
          jwtVerify(token, publicKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'], typ: 'at+jwt' }).then(
            ({ payload }) => this.success({ id: payload.sub, anonymous: true }),
            () => this.fail(401),
          );
        }
      }
      pp.use(new JoseStrategy());
    }
    if (storeKind === 'passport-jwt') {
      pp.use(
        'anonymous',
        new JwtStrategy(
          {
            jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
            secretOrKey: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
            algorithms: ['ES256'],
            issuer: ISSUER,
            audience: AUDIENCE,
          },
          (payload: { sub: string }, done: (err: unknown, user?: object) => void) => done(null, { id: payload.sub, anonymous: true }),
        ),
      );
    }
    app.use(pp.initialize());
    app.use(anon.router());
    app.get('/api', pp.authenticate('anonymous', { session: false }), (req, res) => res.json({ id: (req.user as { id: string }).id }));
    return app;
  }

  if (family === 'token') {
    const store = new MemoryStore({ maxSessions: 2_000_000 });
    if (storeKind === 'anon') {
      const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: KEYS, store, rateLimit: false, persist: 'always' });
      app.use(anon.router());
      return app;
    }
    // Baseline: sign the same two tokens with jose and write one record to the same store, nothing else.
    const accessKey = createPrivateKey(keysJson.pem);
    const secret = Buffer.from(keysJson.secret, 'base64url');
    app.post('/anonymous/token', express.json(), async (_req, res) => {
      const { access_token, session_token } = await baselineCreate(store, accessKey, secret, ISSUER, AUDIENCE);
      res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json({ token_type: 'Bearer', access_token, expires_in: 900, scope: '', session_token, session_expires_in: 2592000 });
    });
    return app;
  }
  throw new Error(`unknown CASE ${CASE}`);
}

build().then((app) => {
  const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
}, (err: unknown) => {
  console.error(err);
  process.exit(1);
});
