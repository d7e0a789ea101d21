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
