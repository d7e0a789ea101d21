// Type-level checks of the public surface as a consumer sees it (compiled by `npm run test:packaging`, strict,
// without skipLibCheck). This consumer registers its metadata type (see ShopMetadata below): req.anonymous is typed.
import express from 'express';
import session from 'express-session';
import { anonymousSessions, type AnonymousSession, type Metadata } from 'express-anonymous-session';

const anon = anonymousSessions({ issuer: 'https://shop.test', audience: 'api' });
const app = express();
app.use(session({ secret: 's', resave: false, saveUninitialized: false }));
app.use(anon.middleware());
app.get('/', async (req, res) => {
  const guest: AnonymousSession | undefined = req.anonymous;
  const bound: string | undefined = req.session.anonymous;
  const next = await guest?.update({ cart: [{ sku: 'a', quantity: 1 }] });
  const plain = req.anonymous as AnonymousSession<Metadata> | undefined;
  const json: Readonly<Metadata> | undefined = await plain?.update({ anything: ['goes'] });
  res.json({ id: guest?.id, bound, next, json });
});

// The strategy, transfer and guards as a consumer types them.
import passport from 'passport';
import { AnonymousStrategy, isAnonymousUser, cartBySku, mergeMetadata, type AnonymousUser, type TransferOutcome } from 'express-anonymous-session';

passport.use(anon.strategy({ checkRevocation: true, scope: 'cart:read' }));
passport.use(new AnonymousStrategy({ issuer: 'https://shop.test', audience: 'api', jwksUri: 'https://shop.test/.well-known/jwks.json' }));
app.get('/api', passport.authenticate('anonymous', { session: false }), (req, res) => {
  if (isAnonymousUser(req.user)) {
    const user: AnonymousUser = req.user;
    res.json({ id: user.id, scope: user.scope });
  }
});
app.post('/login', passport.authenticate('local'), anon.transfer('login'), (req, res) => {
  const outcome: TransferOutcome | undefined = req.anonymousTransfer;
  if (outcome?.status === 'merged') res.json(outcome.user);
  else res.json({ status: outcome?.status });
});
const merged = mergeMetadata({ cart: cartBySku() }, { cart: [] }, { cart: [{ sku: 'a', quantity: 1 }] });
void merged;

// Internals are not part of the published types: no keys, no services through the facade.
// @ts-expect-error options are not public
void anon.options;
// @ts-expect-error services are not public
void anon.tokens;
// @ts-expect-error services are not public
void anon.service;
// @ts-expect-error the store is the app's own object, not reachable through the facade
void anon.store;

// Metadata typed once (Register) for req.anonymous, and per instance for what the instance hands out.
interface ShopMetadata {
  cart?: Array<{ sku: string; quantity: number }>;
  prefs?: { currency: 'EUR' | 'USD' };
}
declare module 'express-anonymous-session' {
  interface Register {
    metadata: ShopMetadata;
  }
}
const shop = anonymousSessions<ShopMetadata>({ issuer: 'https://shop.test', audience: 'api' });
app.post('/cart', shop.requireGuest(), async (req, res) => {
  const cart: Array<{ sku: string; quantity: number }> | undefined = req.anonymous!.metadata.cart;
  // @ts-expect-error a snapshot is read-only (and frozen at run time)
  req.anonymous!.metadata.cart = [];
  const next = await shop.guest(req).update((m) => ({ ...m, cart: [...(m.cart ?? []), { sku: 'tea', quantity: 1 }] }));
  const currency: 'EUR' | 'USD' | undefined = next.prefs?.currency;
  // @ts-expect-error a cart line is { sku, quantity }
  await shop.guest(req).update({ cart: [{ sku: 1 }] });
  const info = await shop.getSession('sid');
  const lines: number | undefined = info?.metadata.cart?.length;
  res.json({ cart, currency, lines });
});
// Without annotations under strict: the verify callback's user and previewTransfer's possibly-undefined user.
passport.use(shop.strategy({}, (user) => (user.scope.includes('cart') ? user : false)));
app.get('/preview', async (req, res) => {
  const preview = await shop.previewTransfer(req, req.user);
  res.json(preview.status);
});

// The guest's metadata in the merge hook and the merge helpers, typed by Register (an interface needs no index signature).
interface Account {
  id: string;
  data: ShopMetadata;
}
anonymousSessions({
  issuer: 'https://shop.test',
  audience: 'api',
  async onTransfer({ anonymous, user }) {
    const guestCart: Array<{ sku: string; quantity: number }> | undefined = anonymous.metadata.cart;
    const account = user as Account;
    const data: ShopMetadata = mergeMetadata({ cart: cartBySku() }, account.data, anonymous.metadata);
    return { ...account, data, lines: guestCart?.length };
  },
});
