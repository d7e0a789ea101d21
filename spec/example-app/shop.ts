import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { createApp, type Shop } from '../../example-app/app';
import { TEST_KEYS } from '../support/keys';

/** The shop's origin in these tests: requests say `Host: shop.test`, as a browser on http://shop.test would. */
export const SHOP_HOST = 'shop.test';
export const SHOP_ORIGIN = `http://${SHOP_HOST}`;

/** The example shop in this process, on memory stores and the test keys. */
export function startShop(): Promise<Shop> {
  return createApp({ publicUrl: SHOP_ORIGIN, sessionSecret: randomBytes(32).toString('base64url'), keys: TEST_KEYS });
}

/** A browser (cookie jar) on the shop. */
export const browserOn = (app: Express) => request.agent(app);

/** What a browser's own form post on the shop's page carries: its Host and Origin. */
export function fromShop<T extends request.Test>(test: T): T {
  return test.set('Host', SHOP_HOST).set('Origin', SHOP_ORIGIN);
}

/** A mobile client's tokens from POST /anonymous/token. */
export async function mobileTokens(app: Express): Promise<{ access_token: string; session_token: string }> {
  return (await request(app).post('/anonymous/token').send({ client_id: 'shop-mobile' }).expect(200)).body;
}

/** An account made through the sign-up form. */
export async function signUp(app: Express, username: string, password: string): Promise<void> {
  await fromShop(browserOn(app).post('/signup')).type('form').send({ username, password }).expect(303);
}
