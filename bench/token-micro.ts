/**
 * `node --require=tsx/cjs bench/token-micro.ts`: case 5's code without HTTP, in one process. The floor is what the
 * case-5 baseline server does per request (a record into a MemoryStore, then the access token with jose on a
 * `KeyObject` and the session token on a `Buffer` secret); beside it our create path (`SessionService.persist` of a
 * draft, then `TokenService.issue`). 10 in flight, interleaved rounds, CPU µs per call (WebCrypto's thread pool
 * included) and the median of the paired differences. `ROUNDS` (default 30), `N` (calls per round, default 1000).
 */
import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { anonymousSessions, MemoryStore } from '../lib';
import { grantFor } from '../lib/tokens/grant';
import { DEFAULT_CLIENT_ID } from '../lib/tokens/options';
import { internalsOf } from '../lib/internals';
import { cpuPerOp, median, type Op } from './lib/cpu';
import { baselineCreate } from './lib/baseline-create';

const ISSUER = 'http://127.0.0.1';
const AUDIENCE = 'bench-api';
const ROUNDS = Number(process.env.ROUNDS ?? 30);
const N = Number(process.env.N ?? 1000);

const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const secretText = randomBytes(32).toString('base64url');

async function main(): Promise<void> {
  const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: { accessToken: [pem], sessionToken: { secret: secretText } }, rateLimit: false, store: new MemoryStore({ maxSessions: 5_000_000 }), lifecycle: { reaper: false } });
  const { sessions, tokens } = internalsOf(anon);
  const client = tokens.options.clients.get(DEFAULT_CLIENT_ID)!;
  const request = { client, ...grantFor(client, undefined, undefined) };

  const store = new MemoryStore({ maxSessions: 5_000_000 });
  const accessKey = createPrivateKey(pem);
  const secret = Buffer.from(secretText, 'base64url');
  const floor: Op = () => baselineCreate(store, accessKey, secret, ISSUER, AUDIENCE);
  const ops: Record<string, Op> = {
    'floor: store.create + 2 × SignJWT': floor,
    'persist(draft) + tokens.issue()': async () => tokens.issue(await sessions.persist(sessions.draft(), { via: 'token_endpoint' }), request),
    'tokens.issue() alone': (() => {
      const record = sessions.draft();
      return () => tokens.issue(record, request);
    })(),
  };
  const names = Object.keys(ops);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  for (const op of Object.values(ops)) await cpuPerOp(op, N, 10);
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 ? [...names].reverse() : names) samples[name].push(await cpuPerOp(ops[name], N, 10));
  }
  const base = samples[names[0]];
  console.log(`CPU µs per call, 10 in flight, median of ${ROUNDS} rounds of ${N}`);
  for (const name of names) {
    const diff = median(samples[name].map((x, i) => x - base[i]));
    console.log(`  ${name.padEnd(36)} ${median(samples[name]).toFixed(1).padStart(7)}   over the floor ${diff >= 0 ? '+' : ''}${diff.toFixed(1)}`);
  }
  anon.close();
}

void main();
