import request from 'supertest';
import type { Shop } from '../../example-app/app';
import { browserOn, startShop } from './shop';

/** The shop as the reporter ran it: `npm start` on http://127.0.0.1:3000. */
const HOST = '127.0.0.1:3000';
const ORIGIN = `http://${HOST}`;

/** The forms that send the shopper back where they were. */
const BACK_FORMS: Array<[string, Record<string, string>]> = [
  ['/cart/add', { sku: 'kettle' }],
  ['/prefs', { currency: 'USD' }],
  ['/consent', { analytics: 'yes' }],
];

describe('example shop: redirects back to the referring page only on its own origin', () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await startShop();
  });
  afterAll(() => shop.close());

  async function redirectAfter(path: string, fields: Record<string, string>, referer: string): Promise<string> {
    const res: request.Response = await browserOn(shop.app).post(path).set('Host', HOST).set('Origin', ORIGIN).set('Referer', referer).type('form').send(fields);
    expect(res.status).toBe(303);
    return res.headers.location as string;
  }

  it.each(BACK_FORMS)('%s goes back to a page of the shop', async (path, fields) => {
    expect(await redirectAfter(path, fields, `${ORIGIN}/cart?from=banner`)).toBe(`${ORIGIN}/cart?from=banner`);
  });

  const FOREIGN = [
    `${ORIGIN}.evil.example/x`, // the reported look-alike: the shop's origin as a prefix of another host
    `http://127.0.0.1:3000@evil.example/`,
    `http://127.0.0.1:30001/`,
    `https://127.0.0.1:3000/`,
    `//evil.example/`,
    `javascript:alert(1)`,
    `not a url`,
  ];
  it.each(BACK_FORMS)('%s goes to the home page instead of a foreign or malformed Referer', async (path, fields) => {
    for (const referer of FOREIGN) expect({ referer, location: await redirectAfter(path, fields, referer) }).toEqual({ referer, location: '/' });
  });
});
