import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import type { Browser, BrowserContext, Page, Request as BrowserRequest } from 'playwright-core';
import { startAppProcess, type AppProcess } from '../support/processes';
import { launchChromium, SCREENSHOTS } from './browser';

/**
 * Cross-site request forgery against the shop in a real browser. Chromium maps *.shop.test to loopback, so the
 * attacker's page on evil.shop.test:<port2> is the same *site* as the shop on www.shop.test:<port1> (SameSite=Lax
 * cookies go along) but another *origin*. Chromium sends Fetch Metadata only to secure origins: over plain HTTP
 * the shop decides on `Origin`; with both origins treated as secure it decides on `Sec-Fetch-Site: same-site`.
 */
const MODES = [
  { name: 'over plain HTTP (Origin decides)', secure: false },
  { name: 'on origins treated as secure (Sec-Fetch-Site decides)', secure: true },
];

describe.each(MODES)('Leaf & Kettle refuses a sibling subdomain’s forms in Chromium, $name', ({ secure }) => {
  let shopProcess: AppProcess;
  let attacker: Server;
  let browser: Browser;
  let shopUrl: string;
  let evilUrl: string;

  beforeAll(async () => {
    shopProcess = await startAppProcess('../../example-app/server.ts', { PORT: '0', REDIS_URL: '' });
    const shopPort = new URL(shopProcess.url).port;
    shopUrl = `http://www.shop.test:${shopPort}`;
    attacker = await attackerSite(shopUrl);
    evilUrl = `http://evil.shop.test:${(attacker.address() as AddressInfo).port}`;
    const args = ['--host-resolver-rules=MAP *.shop.test 127.0.0.1'];
    if (secure) args.push(`--unsafely-treat-insecure-origin-as-secure=${shopUrl},${evilUrl}`);
    browser = await launchChromium(args);
    // The attacker's own account, made the way the shop's pages would make it.
    await request(shopProcess.url).post('/signup').set('Origin', shopProcess.url).type('form').send({ username: 'mallory', password: 'attacker-password' }).expect(303);
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
    await shopProcess?.stop();
  });

  const mode = secure ? 'secure' : 'http';
  const cartLink = (page: Page) => page.getByTestId('cart-link').innerText();
  const who = (page: Page) => page.getByTestId('who').innerText();

  /** Clicks the attacker's lure and returns the request the browser sent to the shop, and the shop's status. */
  async function fallFor(page: Page, lure: string): Promise<{ headers: Record<string, string>; status: number | undefined }> {
    await page.goto(`${evilUrl}/${lure}`);
    const [sent] = await Promise.all([page.waitForRequest((r: BrowserRequest) => r.url().startsWith(shopUrl) && r.method() === 'POST'), page.getByRole('button').click()]);
    await page.waitForLoadState('load');
    return { headers: await sent.allHeaders(), status: (await sent.response())?.status() };
  }

  /** The browser did its part of the attack: the shop's cookie went along, and it labelled the request as it should. */
  function shouldHaveSentCookieAsSameSite(headers: Record<string, string>): void {
    expect(headers.cookie).toMatch(/shop\.sid=/);
    expect(headers.origin).toBe(evilUrl);
    expect(headers['sec-fetch-site']).toBe(secure ? 'same-site' : undefined);
  }

  async function newVictim(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(shopUrl);
    return { context, page };
  }

  it("a form on the sibling subdomain does not add to the victim's cart; the shop's own button does", async () => {
    const { context, page } = await newVictim();
    await page.getByTestId('add-tea-sencha').click();
    await page.waitForLoadState('load');
    expect(await cartLink(page)).toBe('Cart (1)');

    const attack = await fallFor(page, 'cart');
    shouldHaveSentCookieAsSameSite(attack.headers);
    expect(attack.status).toBe(403);
    expect(await page.getByTestId('error-heading').innerText()).toBe('We did not do that');
    await page.screenshot({ path: join(SCREENSHOTS, `6-cross-site-refused-${mode}.png`), fullPage: true });

    await page.goto(shopUrl);
    expect(await cartLink(page)).toBe('Cart (1)');
    await context.close();
  });

  it("a login form on the sibling subdomain does not sign the victim into the attacker's account; the shop's own login does", async () => {
    const { context, page } = await newVictim();
    const attack = await fallFor(page, 'login');
    shouldHaveSentCookieAsSameSite(attack.headers);
    expect(attack.status).toBe(403);
    await page.goto(shopUrl);
    expect(await who(page)).toMatch(/^Guest /);

    await page.goto(`${shopUrl}/login`);
    await page.getByLabel('Username').fill('mallory');
    await page.getByLabel('Password').fill('attacker-password');
    await page.getByTestId('submit').click();
    await page.waitForURL(/\/cart$/);
    expect(await who(page)).toBe('Signed in as mallory');
    await context.close();
  });
});

/** evil.shop.test: two pages with a tempting button, each a form that posts to the shop. */
async function attackerSite(shopUrl: string): Promise<Server> {
  const pages: Record<string, string> = {
    '/cart': `<form method="post" action="${shopUrl}/cart/add"><input type="hidden" name="sku" value="kettle"><button>Win a kettle</button></form>`,
    '/login': `<form method="post" action="${shopUrl}/login"><input type="hidden" name="username" value="mallory"><input type="hidden" name="password" value="attacker-password"><button>See your prize</button></form>`,
  };
  const server = createServer((req, res) => {
    const body = pages[req.url ?? ''];
    res.writeHead(body ? 200 : 404, { 'Content-Type': 'text/html' }).end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
