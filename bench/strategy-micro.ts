/**
 * `node --require=tsx/cjs bench/strategy-micro.ts`: our strategy (`cacheSize: 0`) against the minimal passport + jose
 * `jwtVerify` strategy of case 4, in one process, without HTTP: `passport.authenticate` on a fake request, 10 in
 * flight, interleaved rounds, CPU µs per verification and the median of the paired differences. It resolves a few
 * µs where an HTTP run's noise is ±5%. `STUB=1` replaces WebCrypto's verify with `true` (the same work on both
 * sides) to show only the JavaScript around it. `ROUNDS` (default 60) and `N` (calls per round, default 500).
 */
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import passport from 'passport';
import { Strategy as PassportStrategy } from 'passport-strategy';
import { jwtVerify } from 'jose';
import { anonymousSessions } from '../lib';
import { newRecord } from '../lib/session/record';
import { internalsOf } from '../lib/internals';

const ISSUER = 'http://127.0.0.1';
const AUDIENCE = 'bench-api';
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicKey = createPublicKey(privateKey);
const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: { accessToken: [pem], sessionToken: { secret: randomBytes(32).toString('base64url') } }, rateLimit: false });

/** The same minimal strategy as bench/servers/case-server.ts (`bearer:jose`). */
class JoseStrategy extends PassportStrategy {
  name = 'anonymous';
  override authenticate(req: Request): void {
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return this.fail(401);
    jwtVerify(token, publicKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'], typ: 'at+jwt' }).then(
      ({ payload }) => this.success({ id: payload.sub, anonymous: true }),
      () => this.fail(401),
    );
  }
}

function middleware(strategy: PassportStrategy): RequestHandler {
  const pp = new passport.Passport();
  pp.use(strategy);
  return pp.authenticate('anonymous', { session: false }) as RequestHandler;
}

if (process.env.STUB) {
  const subtle = globalThis.crypto.subtle as unknown as { verify: () => Promise<boolean> };
  subtle.verify = () => Promise.resolve(true);
}

async function main(): Promise<void> {
  const record = newRecord({ userId: `anon|${crypto.randomUUID()}`, metadata: '{}', now: Date.now(), lifetimes: { idle: 604800, absolute: 2592000 } });
  const { access_token } = await internalsOf(anon).tokens.issueFor(record);
  const headers = { authorization: `Bearer ${access_token}` };
  const variants: Record<string, RequestHandler> = { jose: middleware(new JoseStrategy()), ours: middleware(anon.strategy({ cacheSize: 0 })) };

  const once = (mw: RequestHandler) =>
    new Promise<void>((resolve, reject) => {
      const req = { headers, method: 'GET', query: {}, url: '/api' } as unknown as Request;
      const res = { statusCode: 200, setHeader() {}, end: () => reject(new Error(`refused: ${res.statusCode}`)) } as unknown as Response;
      mw(req, res, (err?: unknown) => (err ? reject(err) : req.user ? resolve() : reject(new Error('no user'))));
    });
  const batch = async (mw: RequestHandler, n: number): Promise<number> => {
    const before = process.cpuUsage();
    let started = 0;
    await Promise.all(Array.from({ length: 10 }, async () => {
      while (started++ < n) await once(mw);
    }));
    const used = process.cpuUsage(before);
    return (used.user + used.system) / n;
  };

  const names = Object.keys(variants);
  for (const name of names) await batch(variants[name], 3000); // warm-up
  const rounds = Number(process.env.ROUNDS ?? 60);
  const perCall = Number(process.env.N ?? 500);
  const results: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 ? [...names].reverse() : names) results[name].push(await batch(variants[name], perCall));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const diff = median(results.ours.map((x, i) => x - results.jose[i]));
  const ratio = median(results.ours.map((x, i) => x / results.jose[i]));
  console.log(`${process.env.STUB ? 'signature check stubbed; ' : ''}${rounds} rounds × ${perCall} verifications, 10 in flight`);
  console.log(`jose strategy  ${median(results.jose).toFixed(1)} µs per verification`);
  console.log(`ours (cache 0) ${median(results.ours).toFixed(1)} µs per verification: ${diff >= 0 ? '+' : ''}${diff.toFixed(1)} µs, ${ratio.toFixed(3)}× (medians of paired rounds)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
