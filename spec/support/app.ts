import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import session, { type Store } from 'express-session';
import { TEST_KEYS } from './keys';
import { anonymousSessions, type AnonymousSessions, type AnonymousSessionsOptions } from '../../lib';

export const ISSUER = 'https://shop.test';
export const AUDIENCE = 'https://api.shop.test';

export interface TestApp {
  app: Express;
  anon: AnonymousSessions;
}

/**
 * A minimal app: express-session, anon.middleware(), and routes that show and change the guest.
 * `sessionStore` defaults to express-session's MemoryStore.
 */
export function buildApp(
  options: Partial<AnonymousSessionsOptions> = {},
  sessionStore?: Store,
  mount?: (app: Express, anon: AnonymousSessions) => void,
): TestApp {
  // Eager by default: most tests look at a guest from its first request; spec/session/persist-policy.spec.ts tests the default.
  const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, persist: 'always', ...options });
  const app = express();
  app.use(
    session({
      secret: 'test secret that is long enough',
      resave: false,
      saveUninitialized: false,
      store: sessionStore,
      cookie: anon.cookieOptions(),
    }),
  );
  app.use(anon.middleware());
  mount?.(app, anon);
  app.use(express.json());
  app.get('/me', (req, res) => {
    const a = req.anonymous;
    res.json(a ? { id: a.id, sessionId: a.sessionId, persisted: a.persisted, metadata: a.metadata } : null);
  });
  app.post('/cart', route(async (req, res) => {
    const sku = String(req.body.sku);
    const idempotencyKey = req.get('Idempotency-Key');
    const metadata = await req.anonymous!.update(
      (m) => ({ ...m, cart: [...((m.cart as string[] | undefined) ?? []), sku] }),
      idempotencyKey === undefined ? {} : { idempotencyKey },
    );
    res.json(metadata);
  }));
  app.patch('/metadata', route(async (req, res) => {
    res.json(await req.anonymous!.update(req.body));
  }));
  app.post('/revoke', route(async (req, res) => {
    await req.anonymous!.revoke();
    res.status(204).end();
  }));
  app.use(anon.errorHandler());
  return { app, anon };
}

/** An async route that hands its failure to `next`, as an Express 4 app must (the suite also runs on Express 4). */
export function route(handler: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req, res, next) => void handler(req, res).catch(next);
}

/** A clock tests move by hand. */
export function frozenClock(start = Date.UTC(2026, 0, 1)): { now: () => number; advance: (seconds: number) => void } {
  let t = start;
  return { now: () => t, advance: (seconds) => (t += seconds * 1000) };
}
