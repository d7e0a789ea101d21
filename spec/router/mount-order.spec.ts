import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { anonymousSessions } from '../../lib';
import { ISSUER, AUDIENCE } from '../support/app';
import { TEST_KEYS } from '../support/keys';
import { decode } from '../support/oauth';

/** What a user pastes from the README in some order; each order either works or fails loudly with the fix. */
function shop(order: Array<'session' | 'middleware' | 'router'>) {
  const warnings: string[] = [];
  const anon = anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS, rateLimit: false, persist: 'always', logger: { warn: (m) => warnings.push(m) } });
  const app = express();
  for (const part of order) {
    if (part === 'session') app.use(session({ secret: 'test secret that is long enough', resave: false, saveUninitialized: false }));
    if (part === 'middleware') app.use(anon.middleware());
    if (part === 'router') app.use(anon.router());
  }
  app.get('/me', (req, res) => res.json({ id: req.anonymous?.id ?? null }));
  app.use(anon.errorHandler());
  return { app, warnings };
}

describe('mount order', () => {
  it('router before anon.middleware(): browser-mode tokens and cookie logout still act on the cookie guest', async () => {
    const { app } = shop(['session', 'router', 'middleware']);
    const agent = request.agent(app);
    const guest = (await agent.get('/me')).body.id as string;
    const tokens = await agent.post('/anonymous/token').set('Sec-Fetch-Site', 'same-origin').send({});
    expect(decode(tokens.body.access_token).claims.sub).toBe(guest); // not a second guest
    await agent.post('/anonymous/logout').set('Sec-Fetch-Site', 'same-origin').expect(204);
    expect((await agent.get('/me')).body.id).not.toBe(guest); // the logout did revoke: a new guest now
  });

  it('router before express-session: the first request fails and the log says how to mount it', async () => {
    const { app, warnings } = shop(['router', 'session', 'middleware']);
    const res = await request(app).post('/anonymous/token').send({});
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'server_error', error_description: 'Internal error' });
    expect(warnings.join('\n')).toMatch(/anon\.router\(\) runs before express-session.*app\.use\(session\(\.\.\.\)\); app\.use\(anon\.middleware\(\)\); app\.use\(anon\.router\(\)\)/);
  });

  it('an API-only app without express-session: the token endpoint works', async () => {
    const { app } = shop(['router']);
    expect((await request(app).post('/anonymous/token').send({})).status).toBe(200);
  });

  it('anon.middleware() without express-session: the first request says to mount express-session first', async () => {
    const { app, warnings } = shop(['middleware']);
    expect((await request(app).get('/me')).status).toBe(500);
    expect(warnings.join('\n')).toMatch(/mount express-session before anon\.middleware\(\)/);
  });
});
