import { join } from 'node:path';
import request from 'supertest';
import { decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { startAppProcess, type AppProcess } from '../support/processes';
import { eventually } from '../support/eventually';
import { launchChromium, SCREENSHOTS } from './browser';

/** Seconds an access token lives in this shop: short, so that renewal across an expiry happens within the test. */
const LIFETIME = 3;
/** Where the page's client keeps its guest (example-app/browser/api-cart.ts), and the Web Lock its tabs share. */
const STORAGE_KEY = 'leaf-kettle:api-cart';
const LOCK = `express-anonymous-session:${STORAGE_KEY}`;

type TokenRequest = 'create' | 'renew' | 'ticket';

/** What the tests read inside the page (the specs compile without DOM types). */
interface PageGlobals {
  localStorage: { getItem(key: string): string | null };
  navigator: { locks: { query(): Promise<{ pending?: Array<{ name?: string }> }> } };
}

interface StoredGuest {
  access_token: string;
  renew_at: number;
  session_token: string;
}

/**
 * The API cart page (example-app/api-cart.ts) in Chromium: a single-page app on the shop's origin that keeps its own
 * guest through express-anonymous-session/client (token mode, localStorage) and calls /api/cart with bearer tokens.
 * Token-endpoint requests are counted as the browser sends them (every tab of a context), by kind.
 */
describe('Leaf & Kettle: the API cart page and its client, in a browser', () => {
  let shop: AppProcess;
  let browser: Browser;

  beforeAll(async () => {
    shop = await startAppProcess('../../example-app/server.ts', { PORT: '0', REDIS_URL: '', ACCESS_TOKEN_LIFETIME: String(LIFETIME) });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await shop?.stop();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const text = (page: Page, testId: string) => page.getByTestId(testId).innerText();
  const stored = async (page: Page): Promise<StoredGuest> =>
    JSON.parse((await page.evaluate((key) => (globalThis as unknown as PageGlobals).localStorage.getItem(key), STORAGE_KEY))!);

  /** A browser profile whose token-endpoint requests, and the refusals they got, are recorded. */
  async function newBrowserContext(): Promise<{ context: BrowserContext; sent: TokenRequest[]; refusals: unknown[]; problems: string[] }> {
    const context = await browser.newContext();
    const sent: TokenRequest[] = [];
    const refusals: unknown[] = [];
    const problems: string[] = [];
    context.on('request', (req) => {
      if (req.method() !== 'POST' || new URL(req.url()).pathname !== '/anonymous/token') return;
      const form = new URLSearchParams(req.postData() ?? '');
      sent.push(form.has('requested_token_type') ? 'ticket' : form.has('session_token') ? 'renew' : 'create');
    });
    context.on('response', async (res) => {
      if (new URL(res.url()).pathname === '/anonymous/token' && res.status() >= 400) refusals.push(await res.json());
    });
    context.on('page', (page) => {
      page.on('pageerror', (err) => problems.push(err.message));
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
      });
    });
    return { context, sent, refusals, problems };
  }

  /** Opens the page and waits until it shows its guest and the cart it read through the API. */
  async function openApiCart(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${shop.url}/api-cart`);
    await page.getByTestId('api-status').filter({ hasText: /^Up to date\.$/ }).waitFor({ timeout: 10_000 });
    return page;
  }

  async function add(page: Page, sku: string, expected: number): Promise<void> {
    await page.getByTestId(`api-add-${sku}`).click();
    await page.getByTestId(`api-qty-${sku}`).filter({ hasText: new RegExp(`^${expected}$`) }).waitFor({ timeout: 10_000 });
  }

  /**
   * Until the access token the page holds is due for renewal by the client's reckoning and, with `expired`, past its
   * `exp` too (which can come first: `iat` is whole seconds, while the client counts `expires_in` from when the answer
   * arrived). By the page's own clock, in a bounded poll.
   */
  async function untilRenewalIsDue(page: Page, expired = false): Promise<void> {
    const due = await eventually(
      async () => {
        const guest = await stored(page);
        const at = Math.max(guest.renew_at, expired ? decodeJwt(guest.access_token).exp! * 1000 : 0);
        return page.evaluate((t) => Date.now() > t, at);
      },
      (past) => past,
      (LIFETIME + 5) * 1000,
      100,
    );
    expect(due).toBe(true);
  }

  it('creates one guest for the page, whose cart lives behind the API across reloads', async () => {
    const { context, sent, problems } = await newBrowserContext();
    const page = await openApiCart(context);
    const guest = await text(page, 'api-guest');
    expect(guest).toMatch(/^anon\|/);
    // Two API reads at once (guest and cart), one creation between them.
    expect(sent).toEqual(['create']);
    const token = (await stored(page)).access_token;
    expect(decodeJwt(token)).toMatchObject({ sub: guest, client_id: 'shop-spa', scope: 'cart' });
    expect(await text(page, 'api-token')).toBe(`…${token.slice(-8)}`);

    await add(page, 'tea-sencha', 1);
    await add(page, 'tea-sencha', 2);
    await add(page, 'kettle', 1);
    await page.reload();
    await page.getByTestId('api-qty-tea-sencha').filter({ hasText: /^2$/ }).waitFor({ timeout: 10_000 });
    expect(await text(page, 'api-guest')).toBe(guest);
    expect(await text(page, 'api-qty-kettle')).toBe('1');
    expect(sent.filter((kind) => kind === 'create')).toEqual(['create']);
    await shot(page, '7-api-cart-guest');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('renews the access token once it expired: the same guest and session, a new token', async () => {
    const { context, sent, problems } = await newBrowserContext();
    const page = await openApiCart(context);
    const guest = await text(page, 'api-guest');
    const first = (await stored(page)).access_token;

    await untilRenewalIsDue(page, true);
    await page.getByTestId('api-reload').click();
    await page.getByTestId('api-token').filter({ hasNotText: first.slice(-8) }).waitFor({ timeout: 10_000 });

    const second = (await stored(page)).access_token;
    expect(second).not.toBe(first);
    const [before, after] = [decodeJwt(first), decodeJwt(second)];
    expect({ sub: after.sub, sid: after.sid }).toEqual({ sub: before.sub, sid: before.sid });
    expect(after.exp!).toBeGreaterThan(before.exp!);
    expect(await text(page, 'api-guest')).toBe(guest);
    expect(sent).toEqual(['create', 'renew']);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('two tabs renew once between them: the second waits for the first one’s renewal and takes its token', async () => {
    const { context, sent, problems } = await newBrowserContext();
    const tabA = await openApiCart(context);
    const tabB = await openApiCart(context);
    expect(await text(tabB, 'api-guest')).toBe(await text(tabA, 'api-guest'));
    const before = (await stored(tabA)).access_token;
    await untilRenewalIsDue(tabA);
    const sentBefore = sent.length;

    // Hold the first renewal at the network, so that tab B asks while tab A's is in flight (any other goes through).
    const held: Route[] = [];
    await context.route('**/anonymous/token', (route) => void (held.length === 0 ? held.push(route) : route.continue()));
    await tabA.getByTestId('api-reload').click();
    expect(await eventually(async () => held.length, (n) => n === 1)).toBe(1);
    await tabB.getByTestId('api-reload').click();
    // Tab B waits for the Web Lock tab A holds, rather than sending a renewal of its own.
    const waiting = await eventually(
      () => tabB.evaluate(async (name) => ((await (globalThis as unknown as PageGlobals).navigator.locks.query()).pending ?? []).some((lock) => lock.name === name), LOCK),
      (pending) => pending,
    );
    expect(waiting).toBe(true);
    await held[0].continue();

    for (const tab of [tabA, tabB]) await tab.getByTestId('api-token').filter({ hasNotText: before.slice(-8) }).waitFor({ timeout: 10_000 });
    expect(sent.slice(sentBefore)).toEqual(['renew']);
    expect(await text(tabB, 'api-token')).toBe(await text(tabA, 'api-token'));
    expect(await text(tabB, 'api-guest')).toBe(await text(tabA, 'api-guest'));
    await shot(tabB, '8-api-cart-second-tab');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('logs in through a redirect whose ticket carries the API cart into the account', async () => {
    await request(shop.url).post('/signup').set('Origin', shop.url).type('form').send({ username: 'lin', password: 'lin-password-1' }).expect(303);
    const { context, sent, refusals, problems } = await newBrowserContext();
    const page = await openApiCart(context);
    const guest = await text(page, 'api-guest');
    await add(page, 'tea-sencha', 1);
    await add(page, 'tea-sencha', 2);
    await add(page, 'mug-stone', 1);

    await page.getByTestId('api-login').click();
    await page.waitForURL(/\/login\?/);
    const url = new URL(page.url());
    expect(url.pathname).toBe('/login');
    expect(url.searchParams.get('next')).toBe('/api-cart');
    const ticket = url.searchParams.get('transfer_ticket');
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await page.locator('input[name="transfer_ticket"]').inputValue()).toBe(ticket);
    expect(await text(page, 'carry')).toBe('Your API cart comes with you.');
    await shot(page, '9-api-cart-login');

    await page.getByLabel('Username').fill('lin');
    await page.getByLabel('Password').fill('lin-password-1');
    await page.getByTestId('submit').click();
    await page.waitForURL(/\/api-cart$/);
    expect(await text(page, 'who')).toBe('Signed in as lin');
    // The page's guest went into the account: the server says so, the client starts a new guest and tells the page.
    await page.getByTestId('api-notice').filter({ hasText: 'moved into your account' }).waitFor({ timeout: 10_000 });
    await page.getByTestId('api-status').filter({ hasText: /^Up to date\.$/ }).waitFor({ timeout: 10_000 });
    expect(refusals).toContainEqual({ error: 'invalid_grant', error_description: 'The anonymous session was transferred', anonymous_session_state: 'transferred' });
    expect(await text(page, 'api-guest')).not.toBe(guest);
    expect(await page.getByTestId('api-empty').isVisible()).toBe(true);
    expect(sent.filter((kind) => kind === 'ticket')).toEqual(['ticket']);
    await shot(page, '10-api-cart-after-login');

    await page.goto(`${shop.url}/cart`);
    expect(await text(page, 'flash')).toBe('Welcome back! Your guest cart was added to your account.');
    expect(await page.getByTestId('qty-tea-sencha').inputValue()).toBe('2');
    expect(await page.getByTestId('qty-mug-stone').inputValue()).toBe('1');
    await shot(page, '11-api-cart-in-account');
    expect(problems).toEqual([]);
    await context.close();
  });
});
