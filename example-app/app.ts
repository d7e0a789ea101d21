import express, { type Express } from 'express';
import session, { type Store } from 'express-session';
import { RedisStore as SessionRedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { anonymousSessions, RedisStore, type AnonymousStore } from '../lib';

export interface ExampleOptions {
  redisUrl?: string;
}

/** Builds the shop: express-session, the anonymous layer, pages and routes. */
export async function createApp(options: ExampleOptions = {}): Promise<{ app: Express; close: () => Promise<void> }> {
  let sessionStore: Store | undefined;
  let anonymousStore: AnonymousStore | undefined;
  let close = async () => undefined as void;
  if (options.redisUrl) {
    const client = createClient({ url: options.redisUrl, disableOfflineQueue: true });
    client.on('error', (err: Error) => console.error('redis:', err.message));
    await client.connect();
    sessionStore = new SessionRedisStore({ client, prefix: 'shop:sess:' });
    anonymousStore = new RedisStore({ client, prefix: 'shop:anon:' });
    close = async () => void (await client.close());
  }

  const anon = anonymousSessions({
    issuer: process.env.ISSUER ?? 'http://127.0.0.1:3000',
    audience: 'shop-api',
    store: anonymousStore,
  });

  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(
    session({
      secret: process.env.SESSION_SECRET ?? 'example-app-development-secret-change-me',
      resave: false,
      saveUninitialized: false,
      store: sessionStore,
      cookie: { httpOnly: true, sameSite: 'lax' },
    }),
  );
  app.use(anon.middleware());

  app.get('/', (req, res) => {
    const guest = req.anonymous!;
    const cart = (guest.metadata.cart as string[] | undefined) ?? [];
    res.type('html').send(`<!doctype html><meta charset="utf-8"><title>Shop</title>
<h1>Shop</h1><p>You are guest <code>${escapeHtml(guest.id)}</code></p>
<form method="post" action="/cart"><input name="sku" placeholder="item"><button>Add to cart</button></form>
<ul>${cart.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`);
  });

  app.post('/cart', async (req, res) => {
    const sku = String(req.body.sku ?? '').slice(0, 64);
    if (sku) await req.anonymous!.update((m) => ({ ...m, cart: [...((m.cart as string[] | undefined) ?? []), sku] }));
    res.redirect(303, '/');
  });

  app.use(anon.errorHandler());
  return { app, close };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
