// Type-level checks of the public surface as a consumer sees it (compiled by `npm run typecheck:consumer`).
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
  const next: Readonly<Metadata> | undefined = await guest?.update({ cart: ['a'] });
  res.json({ id: guest?.id, bound, next });
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
