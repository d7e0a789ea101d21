import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startAppProcess, type AppProcess } from '../support/processes';
import { launchChromium, SCREENSHOTS } from './browser';

/** The example shop as a person uses it: the README's first command, clicked through in Chromium. */
describe('Leaf & Kettle in a browser', () => {
  let shop: AppProcess;
  let browser: Browser;

  beforeAll(async () => {
    shop = await startAppProcess('../../example-app/server.ts', { PORT: '0', REDIS_URL: '' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await shop?.stop();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const who = (page: Page) => page.getByTestId('who').innerText();
  async function add(page: Page, sku: string, times = 1) {
    for (let i = 0; i < times; i++) {
      await page.getByTestId(`add-${sku}`).click();
      await page.waitForLoadState('load');
    }
  }

  it('a guest fills a cart that survives reloads, signs up, and finds the cart in the account', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(shop.url);
    expect(await who(page)).toMatch(/^Guest anon\|/);
    await shot(page, '1-shop-guest');
    await page.getByRole('button', { name: 'Accept' }).click();
    await expect(page.getByTestId('consent').count()).resolves.toBe(0);

    await add(page, 'tea-sencha', 2);
    await add(page, 'mug-stone');
    await page.reload();
    await page.getByTestId('cart-link').click();
    expect(await page.getByTestId('cart-link').innerText()).toBe('Cart (3)');
    await page.getByTestId('qty-tea-sencha').fill('3');
    await page.getByTestId('line-tea-sencha').getByRole('button', { name: 'Update' }).click();
    await page.waitForURL(/\/cart$/);
    await page.reload();
    expect(await page.getByTestId('qty-tea-sencha').inputValue()).toBe('3');
    await shot(page, '2-cart-guest');

    await page.getByRole('link', { name: 'Sign up' }).first().click();
    expect(await page.getByTestId('carry').innerText()).toContain('4 guest item(s)');
    await shot(page, '3-signup');
    await page.getByLabel('Username').fill('ada');
    await page.getByLabel('Password').fill('correct horse');
    await page.getByTestId('submit').click();
    await page.waitForURL(/\/cart$/);
    expect(await who(page)).toBe('Signed in as ada');
    expect(await page.getByTestId('flash').innerText()).toMatch(/guest cart is in your account/);
    expect(await page.getByTestId('qty-tea-sencha').inputValue()).toBe('3');
    expect(await page.getByTestId('qty-mug-stone').inputValue()).toBe('1');
    await shot(page, '4-cart-account');
    await context.close();
  });

  it('a second browser context is a different guest', async () => {
    const [a, b] = await Promise.all([browser.newContext(), browser.newContext()]);
    const [pa, pb] = await Promise.all([a.newPage(), b.newPage()]);
    await pa.goto(shop.url);
    await pb.goto(shop.url);
    const [ida, idb] = [await who(pa), await who(pb)];
    expect(ida).toMatch(/^Guest /);
    expect(idb).toMatch(/^Guest /);
    expect(ida).not.toBe(idb);
    await add(pa, 'kettle');
    await pb.reload();
    expect(await pb.getByTestId('cart-link').innerText()).toBe('Cart (0)');
    await Promise.all([a.close(), b.close()]);
  });

  it('logging in from a new guest with an existing account merges the carts by SKU', async () => {
    // An account with a cart of its own...
    const first = await browser.newContext();
    const p1 = await first.newPage();
    await p1.goto(`${shop.url}/signup`);
    await p1.getByLabel('Username').fill('grace');
    await p1.getByLabel('Password').fill('hopper-1906');
    await p1.getByTestId('submit').click();
    await p1.waitForURL(/\/cart$/);
    await p1.goto(shop.url);
    await add(p1, 'tea-earl');
    await add(p1, 'mug-stone');
    await first.close();

    // ...and, on another device, a guest who logs in.
    const second = await browser.newContext();
    const p2 = await second.newPage();
    await p2.goto(shop.url);
    await add(p2, 'tea-earl', 2);
    await add(p2, 'kettle');
    await p2.goto(`${shop.url}/login`);
    await p2.getByLabel('Username').fill('grace');
    await p2.getByLabel('Password').fill('hopper-1906');
    await p2.getByTestId('submit').click();
    await p2.waitForURL(/\/cart$/);
    expect(await who(p2)).toBe('Signed in as grace');
    expect(await p2.getByTestId('qty-tea-earl').inputValue()).toBe('3');
    expect(await p2.getByTestId('qty-mug-stone').inputValue()).toBe('1');
    expect(await p2.getByTestId('qty-kettle').inputValue()).toBe('1');
    await shot(p2, '5-merged-carts');

    await p2.getByRole('button', { name: 'Log out' }).click();
    await p2.waitForURL(new RegExp(`${shop.url}/?$`));
    expect(await who(p2)).toMatch(/^Guest /);
    expect(await p2.getByTestId('cart-link').innerText()).toBe('Cart (0)');
    await second.close();
  });

  it('wrong credentials show a clear error and keep the guest', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(shop.url);
    await add(page, 'kettle');
    await page.goto(`${shop.url}/login`);
    await page.getByLabel('Username').fill('nobody');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByTestId('submit').click();
    expect(await page.getByTestId('error').innerText()).toBe('Wrong username or password.');
    expect(await page.getByTestId('cart-link').innerText()).toBe('Cart (1)');
    await context.close();
  });
});
