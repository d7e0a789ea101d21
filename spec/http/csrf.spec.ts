import express, { type Express } from 'express';
import session from 'express-session';
import request from 'supertest';
import { anonymousSessions, csrfToken, isSameOrigin, sameOriginOnly, MisconfiguredError, type SameOriginOptions } from '../../lib';
import { ISSUER, AUDIENCE } from '../support/app';
import { TEST_KEYS } from '../support/keys';
import { shouldRefuseOption } from '../support/config';

const HOST = 'shop.test';
const OWN = `http://${HOST}`;

/** An app whose one state change (`POST /act`) counts how often it ran, behind the guard. */
function guardedApp(options?: SameOriginOptions, setup?: (app: Express) => void): { app: Express; runs: () => number } {
  let runs = 0;
  const app = express();
  setup?.(app);
  app.use(session({ secret: 'a csrf test secret', resave: false, saveUninitialized: false }));
  app.use(express.urlencoded({ extended: false }));
  app.use(express.json());
  app.use(sameOriginOnly(options));
  app.get('/form', (req, res) => res.json({ token: csrfToken(req) }));
  app.all('/act', (_req, res) => res.json({ runs: ++runs }));
  app.use(anonymousSessions({ issuer: ISSUER, audience: AUDIENCE, keys: TEST_KEYS }).errorHandler());
  return { app, runs: () => runs };
}

const post = (app: Express) => request(app).post('/act').set('Host', HOST);

/** Refused on what the browser said about where the request came from. */
function shouldRefuse(res: request.Response): void {
  expect({ status: res.status, error: res.body.error }).toEqual({ status: 403, error: 'cross_site_request' });
  expect(res.body.error_description).toMatch(/Cross-origin request refused/);
}
/** Refused for want of the page's token: the message tells a person what to do. */
function shouldAskForToken(res: request.Response): void {
  expect({ status: res.status, error: res.body.error }).toEqual({ status: 403, error: 'cross_site_request' });
  expect(res.body.error_description).toMatch(/reload the page/);
}
const shouldPass = (res: request.Response) => expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { runs: expect.any(Number) } });

/** A browser with a session and the token its page was rendered with. */
async function browserWithToken(app: Express): Promise<{ agent: ReturnType<typeof request.agent>; token: string }> {
  const agent = request.agent(app);
  const token = (await agent.get('/form').set('Host', HOST)).body.token as string;
  return { agent, token };
}

describe('sameOriginOnly(): safe methods and bearer requests', () => {
  it('lets safe methods through whatever their origin', async () => {
    const { app } = guardedApp();
    for (const method of ['get', 'head', 'options'] as const) {
      expect((await request(app)[method]('/act').set('Sec-Fetch-Site', 'cross-site').set('Origin', 'https://evil.test')).status).toBe(200);
    }
  });

  it('lets a bearer request through (no ambient credential), but not other Authorization schemes', async () => {
    const { app, runs } = guardedApp();
    shouldPass(await post(app).set('Authorization', 'Bearer abc').set('Sec-Fetch-Site', 'cross-site'));
    // A browser re-sends cached Basic credentials by itself, like a cookie.
    shouldRefuse(await post(app).set('Authorization', 'Basic dTpw').set('Sec-Fetch-Site', 'cross-site'));
    expect(runs()).toBe(1);
  });
});

describe('sameOriginOnly(): Fetch Metadata decides when present', () => {
  it('passes same-origin requests and user-typed navigations (none)', async () => {
    const { app } = guardedApp();
    shouldPass(await post(app).set('Sec-Fetch-Site', 'same-origin'));
    shouldPass(await post(app).set('Sec-Fetch-Site', 'none'));
  });

  it('refuses same-site (a sibling subdomain), cross-site and unknown values, and the action does not run', async () => {
    const { app, runs } = guardedApp();
    for (const site of ['same-site', 'cross-site', 'something-new']) shouldRefuse(await post(app).type('form').send({ a: '1' }).set('Sec-Fetch-Site', site));
    expect(runs()).toBe(0);
  });

  it('is not overruled by a matching Origin', async () => {
    const { app } = guardedApp();
    shouldRefuse(await post(app).set('Sec-Fetch-Site', 'same-site').set('Origin', OWN));
  });
});

describe('sameOriginOnly(): Origin decides without Fetch Metadata', () => {
  it("passes the request's own origin, parsed (case and default port do not matter)", async () => {
    const { app } = guardedApp();
    shouldPass(await post(app).set('Origin', OWN));
    shouldPass(await post(app).set('Origin', 'HTTP://Shop.Test:80'));
  });

  it('refuses another subdomain, port, scheme or host, a look-alike prefix, null and garbage', async () => {
    const { app, runs } = guardedApp();
    const foreign = ['http://evil.shop.test', 'http://shop.test:8080', 'https://shop.test', 'http://shop.test.evil.example', 'null', 'not a url'];
    for (const origin of foreign) shouldRefuse(await post(app).set('Origin', origin));
    expect(runs()).toBe(0);
  });

  it("honours trust proxy: the proxy's scheme and host count only when Express trusts the proxy", async () => {
    const behindProxy = (trusted: boolean) => guardedApp(undefined, (app) => app.set('trust proxy', trusted)).app;
    const viaProxy = (app: Express) => post(app).set('X-Forwarded-Proto', 'https').set('X-Forwarded-Host', 'www.shop.example').set('Origin', 'https://www.shop.example');
    shouldPass(await viaProxy(behindProxy(true)));
    shouldRefuse(await viaProxy(behindProxy(false)));
  });
});

describe('sameOriginOnly(): the token when a browser sends neither header', () => {
  it('refuses a form without the token, and says to reload', async () => {
    const { app, runs } = guardedApp();
    const { agent } = await browserWithToken(app);
    shouldAskForToken(await agent.post('/act').set('Host', HOST).type('form').send({ sku: 'kettle' }));
    expect(runs()).toBe(0);
  });

  it('passes the token in the form field or in the header', async () => {
    const { app } = guardedApp();
    const { agent, token } = await browserWithToken(app);
    shouldPass(await agent.post('/act').set('Host', HOST).type('form').send({ sku: 'kettle', _csrf: token }));
    shouldPass(await agent.post('/act').set('Host', HOST).set('X-CSRF-Token', token));
  });

  it("refuses a wrong token and another session's token", async () => {
    const { app, runs } = guardedApp();
    const victim = await browserWithToken(app);
    const attacker = await browserWithToken(app);
    const altered = victim.token.slice(0, -1) + (victim.token.endsWith('A') ? 'B' : 'A');
    for (const _csrf of [attacker.token, altered, [victim.token, victim.token]]) {
      shouldAskForToken(await victim.agent.post('/act').set('Host', HOST).type('form').send({ _csrf }));
    }
    expect(runs()).toBe(0);
  });

  it('stores nothing for a page request that carries Fetch Metadata: its form will too, and is judged by it', async () => {
    const { app } = guardedApp();
    const modern = await request(app).get('/form').set('Host', HOST).set('Sec-Fetch-Site', 'none');
    expect(modern.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(modern.headers['set-cookie']).toBeUndefined(); // saveUninitialized: false, and nothing was stored
    const old = await request(app).get('/form').set('Host', HOST);
    expect(old.headers['set-cookie']).toBeDefined(); // an old browser's page: the token is kept for its form
    shouldPass(await post(app).set('Sec-Fetch-Site', 'same-origin').type('form').send({ _csrf: modern.body.token }));
  });

  it('keeps one token per session', async () => {
    const { app } = guardedApp();
    const { agent, token } = await browserWithToken(app);
    expect((await agent.get('/form')).body.token).toBe(token);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('lets a JSON body through without the token (a page elsewhere cannot send one without a preflight), unless told not to', async () => {
    shouldPass(await post(guardedApp().app).send({ username: 'ada' }));
    // a vendor +json type is not what express.json() parses: the route would never read it, so the token is asked for
    shouldAskForToken(await post(guardedApp().app).set('Content-Type', 'application/vnd.api+json').send('{}'));
    // text/plain is what a cross-site form can send: it needs the token
    shouldAskForToken(await post(guardedApp().app).set('Content-Type', 'text/plain').send('{"username":"ada"}'));
    shouldAskForToken(await post(guardedApp({ allowTokenlessJson: false }).app).send({ username: 'ada' }));
  });
});

describe('sameOriginOnly(): misconfiguration is loud', () => {
  it('fails the request, naming the fix, when express-session is not mounted', async () => {
    const app = express();
    app.use(sameOriginOnly());
    app.post('/act', (_req, res) => res.end());
    let seen: unknown;
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => res.status(500).end(void (seen = err)));
    await request(app).post('/act').expect(500);
    expect(seen).toBeInstanceOf(MisconfiguredError);
    expect(String(seen)).toMatch(/mount express-session before sameOriginOnly/);
  });

  it('fails every request when express-session is mounted after it, not only the ones without browser headers', async () => {
    const app = express();
    app.use(sameOriginOnly());
    app.use(session({ secret: 'a csrf test secret', resave: false, saveUninitialized: false }));
    app.get('/page', (_req, res) => res.end());
    app.post('/act', (_req, res) => res.end());
    const seen: unknown[] = [];
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => res.status(500).end(void seen.push(err)));
    // the first page view already says what to fix: a modern browser never reaches the token check
    await request(app).get('/page').expect(500);
    await request(app).post('/act').set('Sec-Fetch-Site', 'same-origin').expect(500);
    await request(app).post('/act').set('Origin', 'http://127.0.0.1').expect(500);
    expect(seen).toHaveLength(3);
    for (const err of seen) expect(String(err)).toMatch(/mount express-session before sameOriginOnly/);
  });

  it('fails the request, naming the fix, when a form body was not parsed', async () => {
    const app = express();
    app.use(session({ secret: 'a csrf test secret', resave: false, saveUninitialized: false }));
    app.use(sameOriginOnly());
    app.post('/act', (_req, res) => res.end());
    let seen: unknown;
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => res.status(500).end(void (seen = err)));
    await request(app).post('/act').type('form').send({ _csrf: 'x' }).expect(500);
    expect(String(seen)).toMatch(/mount express.urlencoded\(\).*before sameOriginOnly/);
  });

  it('refuses bad options at construction, naming the option', () => {
    shouldRefuseOption(() => sameOriginOnly({ field: '' }), 'sameOriginOnly.field', /non-empty string/);
    shouldRefuseOption(() => sameOriginOnly({ header: 'x csrf' }), 'sameOriginOnly.header', /header name/);
    shouldRefuseOption(() => sameOriginOnly({ sessionKey: 7 as unknown as string }), 'sameOriginOnly.sessionKey', /non-empty string, got number/);
    shouldRefuseOption(() => sameOriginOnly({ allowTokenlessJson: 'yes' as unknown as boolean }), 'sameOriginOnly.allowTokenlessJson', /boolean/);
  });

  it('uses the configured field, header and session key', async () => {
    const options = { field: 'authenticity_token', header: 'x-form-token', sessionKey: 'formToken' };
    let runs = 0;
    const app = express();
    app.use(session({ secret: 'a csrf test secret', resave: false, saveUninitialized: false }));
    app.use(express.urlencoded({ extended: false }));
    app.use(sameOriginOnly(options));
    app.get('/form', (req, res) => res.json({ token: csrfToken(req, options), session: req.session }));
    app.post('/act', (_req, res) => res.json({ runs: ++runs }));
    const agent = request.agent(app);
    const form = (await agent.get('/form')).body;
    expect(form.session.formToken).toBe(form.token);
    await agent.post('/act').type('form').send({ authenticity_token: form.token }).expect(200);
    await agent.post('/act').set('X-Form-Token', form.token).expect(200);
    await agent.post('/act').type('form').send({ _csrf: form.token }).expect(403);
    expect(runs).toBe(2);
  });
});

describe('isSameOrigin()', () => {
  it('compares parsed origins, never prefixes', async () => {
    const app = express();
    app.get('/', (req, res) => res.json(['http://shop.test/cart?x=1', 'http://shop.test:80/', 'http://shop.test.evil.example/', 'http://shop.test@evil.example/', '//evil.example', '/cart', ''].map((u) => isSameOrigin(req, u))));
    expect((await request(app).get('/').set('Host', HOST)).body).toEqual([true, true, false, false, false, false, false]);
  });

  it('knows no origin for a Host header that is not a host', async () => {
    const app = express();
    app.get('/', (req, res) => res.json(isSameOrigin(req, 'http://evil.example/')));
    expect((await request(app).get('/').set('Host', 'shop.test@evil.example')).body).toBe(false);
  });
});
